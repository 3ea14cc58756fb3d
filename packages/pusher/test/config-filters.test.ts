// Configuration errors, sampling, filters, header redaction and body capture.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WasmHost, PluginLoadError } from '@db-log-pusher/wasm-host';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { harness, chatRequest, COLLECTOR_FQDN } from './helpers.js';

async function refused(configuration: unknown): Promise<string> {
  const host = new WasmHost({ clock: 'manual', logLevel: 'info' });
  try {
    await host.loadPlugin({ wasm: PUSHER_WASM_PATH, configuration: configuration as object });
  } catch (e) {
    assert.ok(e instanceof PluginLoadError, String(e));
    return e.message;
  } finally {
    await host.close();
  }
  assert.fail(`configuration ${JSON.stringify(configuration)} was accepted`);
}

test('a missing or invalid required option is refused with a log line that says what is wrong', async () => {
  assert.match(await refused({ collector_port: 80 }), /\[error\] db-log-pusher: invalid configuration: collector_service_name is required/);
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN }), /collector_port is required/);
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN, collector_port: 70000 }), /collector_port must be an integer between 1 and 65535/);
  assert.match(await refused({ collector_service_name: 'has space', collector_port: 80 }), /collector_service_name must be a host name/);
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: 'ingest' }), /collector_path must start with '\/'/);
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN, collector_port: 80, sample_rate: 2 }), /sample_rate must be a number between 0 and 1/);
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN, collector_port: 80, skip_paths: '/health' }), /skip_paths must be a list of strings/);
  assert.match(await refused('{"collector_service_name": '), /configuration is not valid JSON/);
  assert.match(await refused(''), /configuration is empty/);
  // Several problems are reported together.
  const both = await refused({ batch_size: 0 });
  assert.match(both, /collector_service_name is required.*collector_port is required.*batch_size must be an integer/);
});

test('the cluster is named as Higress names services, unless overridden; quoted numbers are accepted', async (t) => {
  const a = await harness({ collector_port: '8080' as unknown as number });
  t.after(() => a.host.close());
  await a.host.runStream({ request: chatRequest() });
  await a.host.idle();
  assert.equal(a.vm.httpCalls[0].cluster, `outbound|8080||${COLLECTOR_FQDN}`);
  assert.equal(a.vm.httpCalls[0].headers[':authority'], COLLECTOR_FQDN);
  const b = await harness({ collector_cluster_name: 'log_collector_static', collector_authority: 'collector.local' });
  t.after(() => b.host.close());
  await b.host.runStream({ request: chatRequest() });
  await b.host.idle();
  assert.equal(b.vm.httpCalls[0].cluster, 'log_collector_static');
  assert.equal(b.vm.httpCalls[0].headers[':authority'], 'collector.local');
});

test('sample_rate records about that fraction of requests; 0 records none', async (t) => {
  const none = await harness({ sample_rate: 0 });
  t.after(() => none.host.close());
  for (let i = 0; i < 20; i++) await none.host.runStream({ request: chatRequest() });
  await none.host.idle();
  assert.equal(none.vm.httpCalls.length, 0);
  const half = await harness({ sample_rate: 0.5 });
  t.after(() => half.host.close());
  for (let i = 0; i < 400; i++) await half.host.runStream({ request: { headers: { ':method': 'GET', ':path': `/r/${i}`, ':authority': 'a' } } });
  await half.host.idle();
  const n = half.records().length;
  assert.ok(n > 120 && n < 280, `sampled ${n} of 400`);
});

test('filters: only status >= min_response_code, and skip_paths prefixes (query ignored)', async (t) => {
  const h = await harness({ min_response_code: 400, skip_paths: ['/health', '/internal/'] });
  t.after(() => h.host.close());
  const run = (path: string, status: string) => h.host.runStream({ request: { headers: { ':method': 'GET', ':path': path, ':authority': 'a' } }, response: { headers: { ':status': status } } });
  await run('/ok', '200');
  await run('/missing', '404');
  await run('/boom', '503');
  await run('/health?probe=1', '500');
  await run('/internal/x', '500');
  await run('/healthy-looking/but-not', '500');
  await h.host.idle();
  assert.deepEqual(h.records().map((r) => [r.path, r.response_code]), [['/missing', 404], ['/boom', 503], ['/healthy-looking/but-not', 500]]);
});

test('captured headers are redacted (default list, or the configured one); bodies are capped at max_body_bytes', async (t) => {
  const h = await harness({ capture_headers: true, capture_body: true, max_body_bytes: 16 });
  t.after(() => h.host.close());
  await h.host.runStream({
    request: { headers: { ...chatRequest().headers, authorization: 'Bearer sk-secret', 'x-api-key': 'k', cookie: 'a=b', 'x-tag': 'one' }, body: ['{"model":"gpt-4o-mini",', '"messages":[]}'] },
    response: { headers: { ':status': '200', 'set-cookie': 's=1', 'content-type': 'application/json', 'x-tag': 'a' }, body: '{"usage":{"prompt_tokens":3,"completion_tokens":4}}' },
  });
  await h.host.idle();
  const [rec] = h.records() as any[];
  assert.equal(rec.req_headers.authorization, '[REDACTED]');
  assert.equal(rec.req_headers['x-api-key'], '[REDACTED]');
  assert.equal(rec.req_headers.cookie, '[REDACTED]');
  assert.equal(rec.req_headers['x-tag'], 'one');
  assert.equal(rec.req_headers[':path'], '/v1/chat/completions');
  assert.equal(rec.resp_headers['set-cookie'], '[REDACTED]');
  assert.equal(rec.resp_headers[':status'], '200');
  assert.equal(rec.req_body, '{"model":"gpt-4o');
  assert.equal(rec.resp_body, '{"usage":{"promp');
  assert.equal(rec.input_tokens, 3, 'scanning sees the whole body even when the capture is cut');
  assert.equal(rec.total_tokens, 7);
  assert.ok(!JSON.stringify(rec).includes('sk-secret'));

  const custom = await harness({ capture_headers: true, redact_headers: ['X-Tag'] });
  t.after(() => custom.host.close());
  await custom.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a', authorization: 'Bearer visible', 'x-tag': 'hidden' } } });
  await custom.host.idle();
  const [c] = custom.records() as any[];
  assert.equal(c.req_headers['x-tag'], '[REDACTED]');
  assert.equal(c.req_headers.authorization, 'Bearer visible');
  assert.equal(c.req_body, undefined, 'bodies are not captured unless asked');
});

test('Higress per-route rules (_rules_) override request-level options for matching routes, domains and services', async (t) => {
  const h = await harness({
    min_response_code: 0,
    _rules_: [
      { _match_route_: ['model-api-internal-0'], sample_rate: 0 },
      { _match_domain_: ['*.errors-only.example'], min_response_code: 500 },
      { _match_service_: ['secret.default.svc.cluster.local'], capture_headers: true, redact_headers: ['x-tenant'] },
    ],
  } as never);
  t.after(() => h.host.close());
  const run = (authority: string, status: string, properties: Record<string, string> = {}) =>
    h.host.runStream({ request: { headers: { ':method': 'GET', ':path': `/${authority}/${status}`, ':authority': authority, 'x-tenant': 't1' } }, response: { headers: { ':status': status } }, properties });
  await run('a.example', '200', { route_name: 'model-api-internal-0' });
  await run('a.example', '200', { route_name: 'model-api-public-0' });
  await run('api.errors-only.example:8443', '404');
  await run('api.errors-only.example', '503');
  await run('b.example', '200', { cluster_name: 'outbound|80||secret.default.svc.cluster.local' });
  await h.host.idle();
  h.host.advance(1000);
  await h.host.idle();
  const recs = h.records() as any[];
  assert.deepEqual(recs.map((r) => r.path), ['/a.example/200', '/api.errors-only.example/503', '/b.example/200']);
  assert.equal(recs[0].req_headers, undefined);
  assert.equal(recs[2].req_headers['x-tenant'], '[REDACTED]');
  assert.match(await refused({ collector_service_name: COLLECTOR_FQDN, collector_port: 80, _rules_: [{ _match_route_: ['r'], sample_rate: 5 }] }), /_rules_\[0\]: sample_rate must be a number between 0 and 1/);
});
