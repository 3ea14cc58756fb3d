// What the plugin reads when: path and authority at request headers, as the client sent them
// (ai-proxy and route rewrites change them further down the chain), consumer, ai_log and the
// response at on_log. And Envoy 1.33+'s names: xds.route_name / xds.cluster_name / xds.node,
// the old names as fallback; instance_id from node.metadata.NAME, then POD_NAME, then node.id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway } from '@db-log-pusher/wasm-host';
import { startMockLlm } from '@db-log-pusher/mock-llm';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { harness, REWRITER_WASM, COLLECTOR_FQDN, COLLECTOR_CLUSTER, parseBody } from './helpers.js';

const REWRITE = { path: '/compatible-mode/v1/chat/completions', authority: 'dashscope.aliyuncs.com', consumer: 'team-a' };

test('path and authority are the client\'s even when a later plugin rewrites them; consumer is read at on_log', async (t) => {
  const h = await harness({}, { after: [{ wasm: REWRITER_WASM, configuration: REWRITE }] });
  t.after(() => h.host.close());
  const r = await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/v1/chat/completions?x=1', ':authority': 'api.example.com' } } });
  assert.equal(r.upstreamRequest?.headers[':path'], REWRITE.path, 'the later plugin did rewrite the request');
  await h.host.idle();
  const [rec] = h.records();
  assert.equal(rec.path, '/v1/chat/completions?x=1');
  assert.equal(rec.authority, 'api.example.com');
  assert.equal(rec.consumer, 'team-a', 'set by a plugin after this one, seen at on_log');
});

test('through db-log-gateway: the record keeps the client\'s path and authority in front of a rewriting plugin', async (t) => {
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const calls: string[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => { calls.push(body); res.writeHead(200).end('{}'); });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => collector.close(() => r())));
  const port = (collector.address() as AddressInfo).port;
  const gw = await startGateway({
    listen: '127.0.0.1:0',
    upstream: llm.url,
    clusters: { [COLLECTOR_CLUSTER]: `http://127.0.0.1:${port}` },
    logLevel: 'error',
    logger: () => {},
    plugins: [
      { wasm: PUSHER_WASM_PATH, configuration: { collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1 } },
      { wasm: REWRITER_WASM, configuration: { ...REWRITE, path: '/v1/chat/completions' } },
    ],
  });
  t.after(() => gw.close());
  const res = await fetch(`${gw.url}/openai/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
  assert.equal(res.status, 200, 'the upstream got the rewritten path');
  await res.text();
  for (const deadline = Date.now() + 5000; calls.length === 0 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  const [rec] = parseBody(calls[0] ?? '');
  assert.equal(rec?.path, '/openai/v1/chat/completions');
  assert.equal(rec?.authority, new URL(gw.url).host);
  assert.equal(rec?.consumer, 'team-a');
});

test('Envoy 1.33+ (xds.* only): route, cluster and node are read under xds, and drive rule matching', async (t) => {
  const h = await harness({ _rules_: [{ _match_route_: ['model-api-qwen-0'], capture_headers: true }] }, { flavour: 'upstream', nodeMetadata: { NAME: 'envoy-pod-1' } });
  t.after(() => h.host.close());
  await h.host.runStream({
    request: { headers: { ':method': 'GET', ':path': '/q', ':authority': 'a' } },
    properties: { 'xds.route_name': 'model-api-qwen-0', 'xds.cluster_name': 'outbound|443||qwen.dns' },
  });
  await h.host.idle();
  const [rec] = h.records() as Array<Record<string, any>>;
  assert.deepEqual([rec.route_name, rec.route, rec.api, rec.upstream_cluster, rec.service], ['model-api-qwen-0', 'model-api-qwen-0', 'qwen', 'outbound|443||qwen.dns', 'qwen.dns']);
  assert.equal(rec.instance_id, 'envoy-pod-1', 'xds.node.metadata.NAME');
  assert.ok(rec.req_headers, 'the rule matched on xds.route_name');
});

test('Higress\'s Envoy (old names only): route_name, cluster_name and node are read under their old names', async (t) => {
  const h = await harness({ _rules_: [{ _match_route_: ['model-api-qwen-0'], capture_headers: true }] }, { flavour: 'higress', nodeMetadata: { NAME: 'higress-gateway-1' } });
  t.after(() => h.host.close());
  await h.host.runStream({
    request: { headers: { ':method': 'GET', ':path': '/old', ':authority': 'a' } },
    properties: { route_name: 'model-api-qwen-0', cluster_name: 'outbound|80||svc.ns.svc.cluster.local' },
  });
  await h.host.idle();
  const [old] = h.records() as Array<Record<string, any>>;
  assert.deepEqual([old.route_name, old.service, old.instance_id], ['model-api-qwen-0', 'svc.ns.svc.cluster.local', 'higress-gateway-1']);
  assert.ok(old.req_headers);
});

test('instance_id: node.metadata.NAME (what Istio sets), else POD_NAME, else node.id', async (t) => {
  const instance = async (meta: Record<string, string>): Promise<unknown> => {
    const h = await harness({}, { nodeId: 'router~10.0.0.7~gw-node.higress-system~higress-system.svc.cluster.local', nodeMetadata: meta });
    t.after(() => h.host.close());
    await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } } });
    await h.host.idle();
    return h.records()[0].instance_id;
  };
  assert.equal(await instance({ NAME: 'higress-gateway-7d9c-abcde', POD_NAME: 'other' }), 'higress-gateway-7d9c-abcde');
  assert.equal(await instance({ POD_NAME: 'envoy-0' }), 'envoy-0');
  assert.equal(await instance({}), 'router~10.0.0.7~gw-node.higress-system~higress-system.svc.cluster.local');
});

test('a request answered by a plugin before this one (its request headers never seen) is still recorded at on_log', async (t) => {
  const h = await harness({}, { before: [{ wasm: REWRITER_WASM, configuration: { local_reply: 401 } }] });
  t.after(() => h.host.close());
  const r = await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/private', ':authority': 'api.example.com' } } });
  assert.equal(r.response.status, 401);
  await h.host.idle();
  const [rec] = h.records();
  assert.deepEqual([rec?.path, rec?.authority, rec?.response_code], ['/private', 'api.example.com', 401]);
});
