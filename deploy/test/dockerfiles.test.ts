// The Dockerfiles read as a build would: a supported Node.js base, the collector's ports and
// environment as the manifests expect them, every workspace manifest npm needs, one image name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifests, render } from './kustomize.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');
const collector = read('deploy/collector/Dockerfile');
const pusher = read('deploy/pusher/Dockerfile');
/** Node.js release lines still supported (Node 20 reached its end of life in April 2026). */
const SUPPORTED_NODE = [22, 24];

/** The Node.js images a Dockerfile builds on, with ARG defaults resolved. */
function nodeImages(dockerfile: string): string[] {
  const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)/gm)].map((m) => [m[1], m[2]]));
  return [...dockerfile.matchAll(/^FROM (\S+)/gm)]
    .map((m) => m[1].replace(/^\$\{(\w+)\}$/, (_, a) => args[a] ?? a))
    .filter((img) => img.startsWith('node:'));
}

test('both images build on one supported Node.js release', () => {
  const images = new Set([...nodeImages(collector), ...nodeImages(pusher)]);
  assert.equal(images.size, 1, [...images].join(', '));
  const [image] = images;
  const major = Number(/^node:(\d+)/.exec(image)?.[1]);
  assert.ok(SUPPORTED_NODE.includes(major), `${image} is not a supported Node.js release`);
});

test('the collector image listens where the manifests look, and has log-collector on PATH', () => {
  const container = render(join(ROOT, 'deploy/kubernetes')).find((m) => m.kind === 'StatefulSet')!.spec.template.spec.containers[0];
  const exposed = /^EXPOSE (.+)$/m.exec(collector)![1].split(/\s+/).map(Number).sort();
  assert.deepEqual(exposed, container.ports.map((p: any) => p.containerPort).sort());
  const envBlock = /^ENV ([\s\S]*?)(?<!\\)\n/m.exec(collector)![1];
  for (const name of ['HOST', 'PORT', 'INGEST_PORT', 'DATA_DIR']) {
    const value = new RegExp(`\\b${name}=(\\S+)`).exec(envBlock)?.[1];
    assert.equal(value, container.env.find((e: any) => e.name === name).value, `ENV ${name}`);
  }
  assert.match(collector, /ln -s \/app\/packages\/collector\/dist\/cli\.js \/usr\/local\/bin\/log-collector/);
});

test('the collector image copies the manifest of every workspace, which npm ci needs to read the lockfile', () => {
  const { workspaces } = JSON.parse(read('package.json')) as { workspaces: string[] };
  for (const ws of workspaces) assert.ok(collector.includes(`COPY ${ws}/package.json ${ws}/`), `${ws}/package.json`);
});

test('the plugin image is the one the WasmPlugin pulls', () => {
  const url = readManifests(join(ROOT, 'deploy/higress/wasmplugin.yaml'))[0].spec.url as string;
  const ref = url.replace(/^oci:\/\//, '');
  assert.ok(pusher.includes(`docker build -f deploy/pusher/Dockerfile -t ${ref} .`), `deploy/pusher/Dockerfile: tag ${ref}`);
  assert.ok(read('README.md').includes(`-t ${ref} .`), `README: tag ${ref}`);
});
