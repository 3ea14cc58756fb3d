// Lifecycle tests through the host: every field of the record from known properties and headers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { responseFlagsMask } from '@db-log-pusher/wasm-host';
import { FIELD_NAMES } from '@db-log-pusher/schema';
import { harness, chatRequest, COLLECTOR_CLUSTER } from './helpers.js';

test('a record carries every field from the headers and properties Envoy keeps them in', async (t) => {
  const h = await harness();
  t.after(() => h.host.close());
  const req = chatRequest({
    'x-b3-traceid': '80f198ee56343ba864fe8b2a57d3eff7',
    'user-agent': 'curl/8.5.0',
    'x-forwarded-for': '203.0.113.9',
    'x-mse-consumer': 'team-a',
  });
  const r = await h.host.runStream({
    request: req,
    response: { headers: { ':status': '429', 'content-type': 'application/json', 'x-envoy-upstream-service-time': '42' }, body: '{"error":"slow down"}' },
    properties: {
      'request.protocol': 'HTTP/2',
      'response.code_details': 'via_upstream',
      'response.flags': responseFlagsMask(['UH', 'UF', 'URX']),
      'request.total_size': 321,
      'response.total_size': 654,
      cluster_name: 'outbound|443||api.openai.internal',
      route_name: 'model-api-openai-prod-0',
      'upstream.address': '10.1.2.3:443',
      'upstream.local_address': '10.0.0.7:51234',
      'upstream.transport_failure_reason': 'none',
      'destination.address': '10.0.0.7:80',
      'source.address': '198.51.100.4:40000',
      'connection.requested_server_name': 'api.example.com',
    },
  });
  assert.equal(r.response.status, 429, 'the request passes untouched');
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 1);
  const call = h.vm.httpCalls[0];
  assert.equal(call.cluster, COLLECTOR_CLUSTER);
  assert.equal(call.headers[':path'], '/ingest');
  assert.equal(call.headers[':method'], 'POST');
  assert.equal(call.headers['content-type'], 'application/json');
  assert.equal(call.timeoutMs, 5000);
  const rec = JSON.parse(call.body);
  assert.equal(rec.start_time, '2026-01-01T00:00:00.000Z');
  assert.deepEqual({ ...rec, start_time: undefined }, {
    start_time: undefined,
    trace_id: '80f198ee56343ba864fe8b2a57d3eff7',
    authority: 'api.example.com',
    method: 'POST',
    path: '/v1/chat/completions',
    protocol: 'HTTP/2',
    request_id: 'req-1',
    user_agent: 'curl/8.5.0',
    x_forwarded_for: '203.0.113.9',
    response_code: 429,
    response_flags: 'UH,UF,URX',
    response_code_details: 'via_upstream',
    bytes_received: 321,
    bytes_sent: 654,
    duration: 0,
    upstream_cluster: 'outbound|443||api.openai.internal',
    upstream_host: '10.1.2.3:443',
    upstream_service_time: '42',
    upstream_transport_failure_reason: 'none',
    upstream_local_address: '10.0.0.7:51234',
    downstream_local_address: '10.0.0.7:80',
    downstream_remote_address: '198.51.100.4:40000',
    route_name: 'model-api-openai-prod-0',
    requested_server_name: 'api.example.com',
    instance_id: 'higress-gateway-7d9c-abcde',
    api: 'openai-prod',
    model: 'gpt-4o-mini',
    consumer: 'team-a',
    route: 'model-api-openai-prod-0',
    service: 'api.openai.internal',
  });
  // Field order is the schema's.
  const order = Object.keys(rec).map((k) => FIELD_NAMES.indexOf(k as never));
  assert.deepEqual(order, [...order].sort((a, b) => a - b));
  assert.ok(order.every((i) => i >= 0));
});

test('duration and start_time come from the host clock, instance_id falls back to node.id', async (t) => {
  const h = await harness({}, { nodeMetadata: {} });
  t.after(() => h.host.close());
  const s = h.host.openStream({ requestHeaders: { ':method': 'GET', ':path': '/a', ':authority': 'x' } }, {});
  s.startRequest(true);
  h.host.advance(250);
  s.startResponse(new (await import('@db-log-pusher/wasm-host')).HeaderMap({ ':status': '200' }), true);
  await h.host.idle();
  const [rec] = h.records();
  assert.equal(rec.duration, 250);
  assert.equal(rec.start_time, '2026-01-01T00:00:00.000Z');
  assert.equal(rec.instance_id, 'sidecar~10.0.0.7~gw-node.higress-system~higress-system.svc.cluster.local');
  assert.equal(rec.response_code, 200);
  assert.equal(rec.response_flags, '-');
});

test('MCP server and tool from Higress headers, or from a JSON-RPC tools/call body', async (t) => {
  const h = await harness();
  t.after(() => h.host.close());
  await h.host.runStream({
    request: { headers: { ':method': 'POST', ':path': '/mcp', ':authority': 'mcp.local', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_weather', arguments: { city: 'Hangzhou' } } }) },
    response: { headers: { ':status': '200', 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":3,"result":{}}' },
  });
  await h.host.runStream({
    request: { headers: { ':method': 'POST', ':path': '/mcp', ':authority': 'mcp.local', 'x-envoy-mcp-server-name': 'weather', 'x-envoy-mcp-tool-name': 'forecast' } },
  });
  await h.host.runStream({
    request: { headers: { ':method': 'POST', ':path': '/mcp', ':authority': 'mcp.local', 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list', params: { name: 'not-a-call' } }) },
  });
  await h.host.idle();
  const recs = h.records();
  assert.equal(recs[0].mcp_tool, 'get_weather');
  assert.equal(recs[0].mcp_server, undefined);
  assert.equal(recs[1].mcp_server, 'weather');
  assert.equal(recs[1].mcp_tool, 'forecast');
  assert.equal(recs[2].mcp_tool, undefined, 'only tools/call names a tool');
});

test('start_time is RFC 3339 UTC with milliseconds on any date', async (t) => {
  const h = await harness();
  t.after(() => h.host.close());
  const { ManualClock } = await import('@db-log-pusher/wasm-host');
  const clock = h.host.clock as InstanceType<typeof ManualClock>;
  const dates = [Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 0, 1, 0, 0, 0, 1), Date.UTC(2100, 11, 31, 12, 34, 56, 789), Date.UTC(1999, 11, 31, 23, 59, 59, 0), Date.UTC(2026, 6, 4, 8, 5, 3, 42)];
  for (const d of dates) {
    clock.set(d);
    await h.host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } } });
  }
  await h.host.idle();
  assert.deepEqual(h.records().map((r) => r.start_time), dates.map((d) => new Date(d).toISOString()));
});
