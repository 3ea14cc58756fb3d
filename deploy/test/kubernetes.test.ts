// deploy/kubernetes as an operator would apply it: rendered like `kubectl apply -k`, every object
// checked against the Kubernetes API schemas (kubernetes-models), and the pieces checked to fit
// together (Services and ports, probes, budget, network policy, drain Job, image, Secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { readManifests, readKustomization, render, type Manifest } from './kustomize.js';
import { WASM_PLUGIN_SCHEMA } from './higress-wasmplugin-crd.js';
import { validateStrictly } from './unknown-fields.js';

const ROOT = join(import.meta.dirname, '..', '..');
const K8S = join(ROOT, 'deploy/kubernetes');
const NAMESPACE = 'higress-system';
const base = render(K8S);
const drain = render(join(K8S, 'drain'));
const wasmPlugin = readManifests(join(ROOT, 'deploy/higress/wasmplugin.yaml'))[0];
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The collector benchmark's highest peak RSS (README, Benchmarks). */
const MEASURED_PEAK_RSS_MIB = 409;

function one(list: Manifest[], kind: string, name?: string): Manifest {
  const found = list.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}
const statefulSet = one(base, 'StatefulSet', 'log-collector');
const pod = statefulSet.spec.template;
const container = pod.spec.containers[0];
const env = (c: any, name: string): string | undefined => c.env?.find((e: any) => e.name === name)?.value;
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}): boolean =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);
/** A Service or probe port (name or number) as the container port number it reaches. */
function containerPort(port: string | number): number {
  if (typeof port === 'number') return port;
  const p = container.ports.find((x: any) => x.name === port);
  assert.ok(p, `no container port named ${port}`);
  return p.containerPort;
}
const mib = (q: string): number => {
  const m = /^(\d+)(Mi|Gi)$/.exec(q);
  assert.ok(m, `memory quantity ${q}: use Mi or Gi`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
};

test('the kustomization renders the collector without a Secret', () => {
  assert.deepEqual(base.map((m) => `${m.kind}/${m.metadata.name}`).sort(), [
    'NetworkPolicy/log-collector',
    'PodDisruptionBudget/log-collector',
    'Service/log-collector',
    'Service/log-collector-headless',
    'StatefulSet/log-collector',
  ]);
  for (const m of [...base, ...drain]) assert.equal(m.metadata.namespace, NAMESPACE, `${m.kind} ${m.metadata.name}`);
  // The Secret is the user's (kubectl create secret), read whole by envFrom.
  for (const c of [container, one(drain, 'Job').spec.template.spec.containers[0]]) {
    assert.deepEqual(c.envFrom, [{ secretRef: { name: 'log-collector' } }]);
  }
  assert.match(readme, /kubectl -n higress-system create secret generic log-collector /);
});

async function model(m: Manifest): Promise<{ validate(): void }> {
  const [group, version] = m.apiVersion.includes('/') ? m.apiVersion.split('/') : [undefined, m.apiVersion];
  const models = await import(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
  const Model = models[m.kind];
  assert.ok(Model, `kubernetes-models has no ${m.apiVersion} ${m.kind}`);
  return new Model(structuredClone(m));
}

test('every rendered object is valid against the Kubernetes API schemas, with no unknown field', async () => {
  for (const m of [...base, ...drain]) {
    let unknown: string[] = [];
    const object = await model(m);
    assert.doesNotThrow(() => (unknown = validateStrictly(object)), `${m.kind} ${m.metadata.name}`);
    assert.deepEqual(unknown, [], `${m.kind} ${m.metadata.name}: unknown fields`);
  }
});

test('the schema check catches a wrong field type and a misspelt field', async () => {
  const broken = structuredClone(statefulSet);
  broken.spec.replicas = 'two';
  const wrongType = await model(broken);
  assert.throws(() => validateStrictly(wrongType), /replicas/);
  const misspelt = structuredClone(statefulSet);
  misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
  assert.deepEqual(validateStrictly(await model(misspelt)), ['spec.template.spec.containers[0].readinesProbe']);
});

test('the StatefulSet is governed by a headless Service selecting its pods', () => {
  const governing = one(base, 'Service', statefulSet.spec.serviceName);
  assert.equal(governing.spec.clusterIP, 'None');
  assert.ok(matches(statefulSet.spec.selector.matchLabels, pod.metadata.labels));
  assert.ok(matches(governing.spec.selector, pod.metadata.labels));
});

test('the Service takes ingest on port 80 and reads on 8080, where the plugin and the container expect them', () => {
  const svc = one(base, 'Service', 'log-collector');
  assert.ok(matches(svc.spec.selector, pod.metadata.labels));
  const byName = Object.fromEntries(svc.spec.ports.map((p: any) => [p.name, p]));
  assert.equal(byName.ingest.port, 80);
  assert.equal(containerPort(byName.ingest.targetPort), Number(env(container, 'INGEST_PORT')));
  assert.equal(byName.http.port, 8080);
  assert.equal(containerPort(byName.http.targetPort), Number(env(container, 'PORT')));
  assert.equal(env(container, 'HOST'), '0.0.0.0');
  const cfg = wasmPlugin.spec.defaultConfig;
  assert.equal(cfg.collector_service_name, `${svc.metadata.name}.${NAMESPACE}.svc.cluster.local`);
  assert.equal(cfg.collector_port, byName.ingest.port);
  assert.equal(cfg.collector_path, '/ingest');
});

test('probes: startup and liveness on /health, readiness on /ready of the ingest listener', () => {
  assert.equal(container.startupProbe.httpGet.path, '/health');
  assert.equal(container.livenessProbe.httpGet.path, '/health');
  assert.equal(container.readinessProbe.httpGet.path, '/ready');
  assert.equal(containerPort(container.readinessProbe.httpGet.port), Number(env(container, 'INGEST_PORT')));
  for (const p of [container.startupProbe, container.livenessProbe]) containerPort(p.httpGet.port);
});

test('the grace period covers preStop, in-flight requests and the spool drain', () => {
  const preStop = Number(container.lifecycle.preStop.exec.command.at(-1));
  const shutdown = Number(env(container, 'SHUTDOWN_TIMEOUT_MS')) / 1000;
  const inFlight = wasmPlugin.spec.defaultConfig.timeout_ms / 1000; // the plugin's call timeout
  assert.ok(Number.isFinite(preStop + shutdown + inFlight));
  assert.ok(pod.spec.terminationGracePeriodSeconds > preStop + inFlight + shutdown, `${pod.spec.terminationGracePeriodSeconds} s`);
});

test('the disruption budget keeps a replica up and still lets a drain evict one', () => {
  const pdb = one(base, 'PodDisruptionBudget');
  assert.ok(matches(pdb.spec.selector.matchLabels, pod.metadata.labels));
  const replicas = statefulSet.spec.replicas;
  const keeps = pdb.spec.minAvailable ?? replicas - pdb.spec.maxUnavailable;
  assert.ok(keeps >= 1, `keeps ${keeps} of ${replicas}`);
  assert.ok(keeps < replicas, `keeps all ${replicas}: a node drain could never evict`);
});

test('memory has headroom over the measured peak, and the heap cap fits inside the limit', () => {
  const { requests, limits } = container.resources;
  assert.ok(mib(requests.memory) >= MEASURED_PEAK_RSS_MIB, requests.memory);
  assert.ok(mib(limits.memory) >= 2 * MEASURED_PEAK_RSS_MIB, limits.memory);
  const heap = Number(/--max-old-space-size=(\d+)/.exec(env(container, 'NODE_OPTIONS') ?? '')?.[1]);
  assert.ok(heap > MEASURED_PEAK_RSS_MIB && heap <= mib(limits.memory) / 2, `heap ${heap} MiB`);
});

test('the network policy admits only gateway pods to ingest and labelled pods to reads', () => {
  const np = one(base, 'NetworkPolicy');
  assert.ok(matches(np.spec.podSelector.matchLabels, pod.metadata.labels));
  assert.deepEqual(np.spec.policyTypes, ['Ingress']);
  const rules = np.spec.ingress.map((r: any) => {
    assert.ok(r.from?.length > 0 && r.ports?.length > 0, 'a rule without from or ports admits everyone');
    return { ports: r.ports.map((p: any) => containerPort(p.port)), from: r.from };
  });
  const ingestRules = rules.filter((r: any) => r.ports.includes(Number(env(container, 'INGEST_PORT'))));
  assert.equal(ingestRules.length, 1);
  assert.deepEqual(ingestRules[0].from, [
    { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': NAMESPACE } }, podSelector: { matchLabels: { app: 'higress-gateway' } } },
  ]);
  const readRules = rules.filter((r: any) => r.ports.includes(Number(env(container, 'PORT'))));
  assert.equal(readRules.length, 1);
  assert.deepEqual(readRules[0].from, [{ namespaceSelector: {}, podSelector: { matchLabels: { 'log-collector-reader': 'true' } } }]);
  assert.equal(rules.length, 2);
});

test('the drain Job runs log-collector drain on a claim a replica leaves behind', () => {
  const job = one(drain, 'Job', 'log-collector-drain');
  const spec = job.spec.template.spec;
  const c = spec.containers[0];
  assert.deepEqual(c.command, ['log-collector', 'drain', '--data-dir', '/data']);
  assert.equal(c.image, container.image);
  const mount = c.volumeMounts.find((m: any) => m.mountPath === '/data');
  const claim = spec.volumes.find((v: any) => v.name === mount.name).persistentVolumeClaim.claimName;
  // StatefulSet claims are named <template>-<statefulset>-<ordinal>.
  const template = statefulSet.spec.volumeClaimTemplates[0].metadata.name;
  assert.match(claim, new RegExp(`^${template}-${statefulSet.metadata.name}-\\d+$`));
  assert.equal(statefulSet.spec.persistentVolumeClaimRetentionPolicy.whenScaled, 'Retain');
  // The Job's pod must be neither an endpoint of the Services nor adopted by the StatefulSet.
  for (const svc of base.filter((m) => m.kind === 'Service')) assert.ok(!matches(svc.spec.selector, job.spec.template.metadata.labels));
  assert.ok(!matches(statefulSet.spec.selector.matchLabels, job.spec.template.metadata.labels));
  assert.deepEqual(spec.securityContext, pod.spec.securityContext);
});

test('one image name and tag for the collector: kustomization, Dockerfile and README', () => {
  const rule = readKustomization(join(K8S, 'image')).images![0];
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  assert.equal(rule.newTag, version);
  const ref = `${rule.newName}:${rule.newTag}`;
  assert.equal(container.image, ref);
  const build = `docker build -f deploy/collector/Dockerfile -t ${ref} .`;
  assert.ok(readFileSync(join(ROOT, 'deploy/collector/Dockerfile'), 'utf8').includes(build), 'Dockerfile header');
  assert.ok(readme.includes(build), `README: ${build}`);
});

test('the WasmPlugin has only fields of Higress\'s WasmPlugin CRD, with their types', () => {
  const validate = new Ajv({ allErrors: true }).compile(WASM_PLUGIN_SCHEMA);
  assert.ok(validate(wasmPlugin), JSON.stringify(validate.errors));
  assert.ok(!validate({ ...wasmPlugin, spec: { ...wasmPlugin.spec, failStratgy: 'FAIL_OPEN' } }), 'a misspelt field must fail');
  assert.ok(!validate({ ...wasmPlugin, spec: { ...wasmPlugin.spec, phase: 'LAST' } }), 'an unknown phase must fail');
});
