// The shipped deployment delivers: the WasmPlugin's configuration (as Higress hands it over, with
// and without defaultConfigDisable) loads in the built plugin and calls the cluster that
// collector-route.yaml makes Higress push; deploy/envoy/envoy.yaml defines the cluster its
// configuration calls and the node metadata instance_id is read from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { collectorClusterName, type PusherOptions } from '../src/index.js';
import { harness } from './helpers.js';

const deploy = (rel: string) => readFileSync(new URL(`../../../deploy/${rel}`, import.meta.url), 'utf8');

/** What Higress passes the plugin for a WasmPlugin spec: defaultConfig with matchRules as _rules_. */
function higressConfiguration(spec: any): Record<string, unknown> {
  const rules = (spec.matchRules ?? []).filter((r: any) => !r.configDisable).map((r: any) => ({
    ...(r.ingress ? { _match_route_: r.ingress } : {}),
    ...(r.domain ? { _match_domain_: r.domain } : {}),
    ...(r.service ? { _match_service_: r.service } : {}),
    ...r.config,
  }));
  return { ...(spec.defaultConfigDisable ? {} : spec.defaultConfig), ...(rules.length ? { _rules_: rules } : {}) };
}

test('Higress: the WasmPlugin runs first (AUTHN) and calls the cluster the collector route makes Higress push', async (t) => {
  const plugin = parse(deploy('higress/wasmplugin.yaml'));
  assert.equal(plugin.kind, 'WasmPlugin');
  assert.equal(plugin.spec.phase, 'AUTHN', 'before ai-proxy and the auth plugins');
  assert.ok(plugin.spec.priority > 450, 'above every Higress plugin of the AUTHN phase');
  const [route] = parseAllDocuments(deploy('higress/collector-route.yaml')).map((d) => d.toJS());
  assert.equal(route.kind, 'Ingress');
  assert.equal(route.spec.ingressClassName, 'higress');
  const backend = route.spec.rules[0].http.paths[0].backend.service;
  // A route to a Service keeps Istio's cluster name for it.
  const pushed = `outbound|${backend.port.number}||${backend.name}.${route.metadata.namespace}.svc.cluster.local`;
  const config = plugin.spec.defaultConfig as PusherOptions;
  assert.equal(collectorClusterName(config), pushed);

  for (const disable of [false, true]) {
    const spec = disable
      ? { ...plugin.spec, defaultConfigDisable: true, matchRules: [{ ingress: ['model-api-openai-0'], config: plugin.spec.defaultConfig }] }
      : plugin.spec;
    const h = await harness(higressConfiguration(spec), { exact: true });
    t.after(() => h.host.close());
    h.answer(() => ({ status: 200 }));
    await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/v1/models', ':authority': 'api.example.com' } }, properties: { route_name: 'model-api-openai-0' } });
    h.host.advance(config.flush_interval_ms ?? 1000);
    await h.host.idle();
    assert.deepEqual(h.vm.httpCalls.map((c) => [c.cluster, c.headers[':path']]), [[pushed, config.collector_path]], `defaultConfigDisable: ${disable}`);
  }
});

test('plain Envoy: envoy.yaml defines the cluster its plugin configuration calls, and NAME for instance_id', async (t) => {
  const envoy = parse(deploy('envoy/envoy.yaml'));
  const filters = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters;
  const wasm = filters.find((f: any) => f.name === 'envoy.filters.http.wasm');
  assert.equal(filters.at(-1).name, 'envoy.filters.http.router');
  const configuration = JSON.parse(wasm.typed_config.config.configuration.value);
  const cluster = collectorClusterName(configuration);
  assert.ok(envoy.static_resources.clusters.some((c: any) => c.name === cluster), `cluster ${cluster} is defined`);
  assert.equal(wasm.typed_config.config.vm_config.runtime, 'envoy.wasm.runtime.v8');
  const name = envoy.node.metadata.NAME;
  const h = await harness(configuration, { exact: true, flavour: 'upstream', nodeMetadata: { NAME: name }, nodeId: envoy.node.id });
  t.after(() => h.host.close());
  await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } }, properties: { 'xds.route_name': 'model-api-demo-0' } });
  h.host.advance(configuration.flush_interval_ms ?? 1000);
  await h.host.idle();
  assert.equal(h.vm.httpCalls[0]?.cluster, cluster);
  assert.equal(h.records()[0].instance_id, name);
  assert.equal(h.records()[0].api, 'demo');
});
