// The test renderer does what kustomize does for the fields it supports, and refuses the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from './kustomize.js';

function tree(t: { after: (fn: () => void) => void }, files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'kustomize-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}
const pod = (name: string, ...images: string[]): string =>
  `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  initContainers:\n    - name: i\n      image: ${images[0]}\n  containers:\n${images
    .slice(1)
    .map((img, i) => `    - name: c${i}\n      image: ${img}\n`)
    .join('')}`;

test('resources, nested kustomizations, components, images and namespace', (t) => {
  const dir = tree(t, {
    'kustomization.yaml': 'namespace: prod\nresources: [a.yaml, sub]\ncomponents: [img]\nimages:\n  - name: registry:5000/b\n    digest: sha256:abc\n',
    'a.yaml': `${pod('a', 'app:1.0', 'app', 'other:2')}---\n`,
    'sub/kustomization.yaml': 'namespace: dev\nresources: [b.yaml]\n',
    'sub/b.yaml': pod('b', 'registry:5000/b:7', 'app'),
    'img/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nimages:\n  - name: app\n    newName: r.example/app\n    newTag: "2.0"\n',
  });
  const out = render(dir);
  assert.deepEqual(
    out.map((m) => [m.metadata.name, m.metadata.namespace, [...m.spec.initContainers, ...m.spec.containers].map((c: any) => c.image)]),
    [
      ['a', 'prod', ['r.example/app:2.0', 'r.example/app:2.0', 'other:2']],
      ['b', 'prod', ['registry:5000/b@sha256:abc', 'r.example/app:2.0']],
    ],
  );
});

test('a field the renderer does not implement fails instead of being ignored', (t) => {
  const dir = tree(t, { 'kustomization.yaml': 'resources: [a.yaml]\npatches: []\n', 'a.yaml': pod('a', 'x', 'y') });
  assert.throws(() => render(dir), /field "patches" is not supported/);
});
