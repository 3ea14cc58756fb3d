// Conformance of the host functions, group by group, against modules built from test/modules.
import assert from 'node:assert/strict';
import http from 'node:http';
import { before, describe, it } from 'node:test';
import { PluginLoadError, RESPONSE_FLAGS, WasmHost } from '../src/index.js';
import { compileAs, compileWat, loggedProp, startServer } from './helpers.js';

const CLUSTER = 'outbound|8080||collector.default.svc.cluster.local';
const GET = { ':method': 'GET', ':path': '/p?x=1', ':authority': 'example.com', ':scheme': 'http' };

let wasm: Uint8Array;
before(() => {
  wasm = compileAs('conformance');
});

function hexToBuf(h: string | undefined): Buffer {
  assert.ok(h !== undefined && h !== '<missing>', `property missing: ${h}`);
  return Buffer.from(h, 'hex');
}

describe('logging', () => {
  it('records every level with the context that logged it', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm, configuration: 'name=l' });
    await host.runStream({ request: { headers: GET } });
    const hdr = p.logs.find((l) => l.message.startsWith('request headers'));
    assert.equal(hdr?.level, 'debug');
    assert.ok(hdr!.contextId > p.rootContext.id);
    assert.equal(p.logs.find((l) => l.message.startsWith('configured'))?.contextId, p.rootContext.id);
    await host.close();
  });
});

describe('header maps', () => {
  it('serializes pairs, reports Envoy byte size, and accepts the pairs back unchanged', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm });
    const headers = { ...GET, 'x-op': 'pairs,add-req', 'x-a': '1' };
    const r = await host.runStream({ request: { headers } });
    const expectedSize = Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length, 0) + 'x-added-by'.length + 'conf'.length + 'x-replace'.length + 'new'.length;
    assert.equal(r.upstreamRequest?.headers['x-size-before'], String(expectedSize));
    assert.equal(r.upstreamRequest?.headers['x-a'], '1');
    const pairsHex = p.logs.find((l) => l.message.startsWith('pairs '))!.message.slice(6);
    assert.equal(Buffer.from(pairsHex, 'hex').readUInt32LE(0), Object.keys(r.upstreamRequest!.headers).length);
    await host.close();
  });
});

describe('buffers and body callbacks', () => {
  it('re-presents a paused body whole (StopIterationAndBuffer) and forwards it once, rewritten', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm });
    const r = await host.runStream({ request: { headers: { ...GET, ':method': 'POST', 'x-op': 'buffer-req' }, body: ['ab', 'cd', 'ef'] } });
    const sizes = p.logs.filter((l) => l.message.startsWith('request body')).map((l) => l.message.split(' ').slice(2, 4).join(' '));
    assert.deepEqual(sizes, ['size=2 eos=0', 'size=4 eos=0', 'size=6 eos=1']);
    assert.deepEqual(r.upstreamRequest?.bodyChunks.map((c) => Buffer.from(c).toString()), ['ABCDEF']);
    await host.close();
  });

  it('honours explicit end-of-stream flags, including an empty final chunk', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm });
    await host.runStream({ request: { headers: { ...GET, ':method': 'POST' }, body: [{ data: 'a', endOfStream: false }, { data: '', endOfStream: true }] } });
    const seen = p.logs.filter((l) => l.message.startsWith('request body')).map((l) => l.message);
    assert.deepEqual(seen, ['request body size=1 eos=0 data=a', 'request body size=0 eos=1 data=']);
    await host.close();
  });

  it('passes chunks one by one when the plugin continues, and lets it append to each', async () => {
    const host = new WasmHost();
    await host.loadPlugin({ wasm });
    const r = await host.runStream({
      request: { headers: { ...GET, ':method': 'POST', 'x-op': 'append-req,buffer-resp' }, body: ['a', 'b'] },
      response: { headers: { ':status': '200' }, body: ['x', 'y'] },
    });
    assert.deepEqual(r.upstreamRequest?.bodyChunks.map((c) => Buffer.from(c).toString()), ['a+', 'b+']);
    assert.equal(r.response.body, 'xy!');
    await host.close();
  });
});

describe('properties', () => {
  it('encodes request, node, plugin and preset properties as Envoy does', async () => {
    const host = new WasmHost({ nodeId: 'node-1', nodeMetadata: { POD_NAME: 'gw-1', REPLICAS: 3 } });
    const p = await host.loadPlugin({ wasm, name: 'props', rootId: 'root-a' });
    const props = [
      'request.path', 'request.url_path', 'request.query', 'request.method', 'request.host', 'request.time', 'request.headers.x-op',
      'node', 'node.id', 'node.metadata.POD_NAME', 'node.metadata.REPLICAS', 'node.metadata', 'plugin_name', 'plugin_root_id',
      'response.flags', 'upstream.address', 'connection.mtls', 'route_name', 'request.total_size', 'response.code', 'nope',
    ];
    await host.runStream({
      request: { headers: { ...GET, 'x-op': 'log-props', 'x-props': props.join(',') } },
      properties: { 'response.flags': RESPONSE_FLAGS.UF | RESPONSE_FLAGS.UT, 'upstream.address': '10.0.0.7:80', 'connection.mtls': true, route_name: 'r' },
    });
    const v = (n: string) => loggedProp(p.logs, n);
    assert.equal(hexToBuf(v('request.path')).toString(), '/p?x=1');
    assert.equal(hexToBuf(v('request.url_path')).toString(), '/p');
    assert.equal(hexToBuf(v('request.query')).toString(), 'x=1');
    assert.equal(hexToBuf(v('request.method')).toString(), 'GET');
    assert.equal(hexToBuf(v('request.host')).toString(), 'example.com');
    const t = hexToBuf(v('request.time'));
    assert.equal(t.readBigInt64LE(0) * 1_000_000_000n + BigInt(t.readUInt32LE(8) / 4), host.clock.nowNs(), 'absl::Time bytes in the Higress flavour');
    assert.equal(hexToBuf(v('request.headers.x-op')).toString(), 'log-props');
    assert.equal(hexToBuf(v('node.id')).toString(), 'node-1');
    assert.deepEqual([...hexToBuf(v('node')).subarray(0, 8)], [0x0a, 6, ...Buffer.from('node-1')], 'node is a serialized envoy.config.core.v3.Node');
    assert.equal(hexToBuf(v('node.metadata.POD_NAME')).toString(), 'gw-1');
    assert.equal(hexToBuf(v('node.metadata.REPLICAS')).readDoubleLE(0), 3, 'Struct numbers are doubles');
    assert.equal(hexToBuf(v('node.metadata')).readUInt32LE(0), 2, 'a Struct is serialized as a map');
    assert.equal(hexToBuf(v('plugin_name')).toString(), 'props');
    assert.equal(hexToBuf(v('plugin_root_id')).toString(), 'root-a');
    assert.equal(hexToBuf(v('response.flags')).readBigUInt64LE(0), BigInt(0x20 | 0x4));
    assert.equal(hexToBuf(v('upstream.address')).toString(), '10.0.0.7:80');
    assert.deepEqual([...hexToBuf(v('connection.mtls'))], [1]);
    assert.equal(hexToBuf(v('route_name')).toString(), 'r');
    assert.ok(hexToBuf(v('request.total_size')).readBigInt64LE(0) > 0n);
    assert.equal(v('response.code'), '<missing>', 'no response yet');
    assert.equal(v('nope'), '<missing>');
    const onLog = p.logs.find((l) => l.message.startsWith('on_log'))!.message;
    assert.match(onLog, /code=200 flags=36 details=via_upstream/);
    await host.close();
  });

  it('stores set_property under wasm.<path> filter state, readable by the next plugin', async () => {
    const host = new WasmHost();
    await host.loadPlugin({ wasm, configuration: 'name=w;ops=set-state' });
    await host.loadPlugin({ wasm, configuration: 'name=r;ops=read-state' });
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.filterState['wasm.ai_log'], '{"model":"m1","from":"w"}');
    assert.equal(r.upstreamRequest?.headers['x-ai-log'], '{"model":"m1","from":"w"}');
    await host.close();
  });

  it('lets a test preset filter state as an earlier plugin would have written it', async () => {
    const host = new WasmHost();
    await host.loadPlugin({ wasm, configuration: 'ops=read-state' });
    const r = await host.runStream({ request: { headers: GET }, properties: { 'wasm.ai_log': '{"preset":true}' } });
    assert.equal(r.upstreamRequest?.headers['x-ai-log'], '{"preset":true}');
    await host.close();
  });
});

describe('http calls', () => {
  it('delivers real responses, timeouts (504) and connection failures (503) as Envoy does', async () => {
    const hang = http.createServer(() => {});
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const dead = await startServer();
    await dead.close();
    const host = new WasmHost({ clusters: { slow: `http://127.0.0.1:${(hang.address() as { port: number }).port}`, dead: dead.url } });
    await host.loadPlugin({ wasm, configuration: 'name=a;ops=call;cluster=slow', name: 'slow' });
    const r1 = await host.runStream({ request: { headers: GET } });
    assert.equal(r1.upstreamRequest?.headers['x-check-status'], '504');
    const host2 = new WasmHost({ clusters: { dead: dead.url } });
    const p2 = await host2.loadPlugin({ wasm, configuration: 'name=a;ops=call;cluster=dead' });
    const r2 = await host2.runStream({ request: { headers: GET } });
    assert.equal(r2.upstreamRequest?.headers['x-check-status'], '503');
    assert.match(p2.logs.find((l) => l.message.startsWith('call response'))!.message, /upstream connect error/);
    await host.close();
    await host2.close();
    hang.closeAllConnections();
    hang.close();
  });

  it('pools connections to a cluster like Envoy does', async () => {
    const ports: number[] = [];
    const server = http.createServer((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = new WasmHost({ clusters: { c: `http://127.0.0.1:${(server.address() as { port: number }).port}` } });
    await host.loadPlugin({ wasm, configuration: 'ops=call;cluster=c' });
    for (let i = 0; i < 3; i++) assert.equal((await host.runStream({ request: { headers: GET } })).upstreamRequest?.headers['x-check-status'], '200');
    assert.equal(ports.length, 3);
    assert.equal(new Set(ports).size, 1, 'one pooled connection served every call');
    await host.close();
    server.closeAllConnections();
    server.close();
  });

  it('rejects unknown clusters and calls without :authority with BadArgument', async () => {
    const host = new WasmHost({ clusters: { known: 'http://127.0.0.1:9' } });
    await host.loadPlugin({ wasm, configuration: 'ops=call;cluster=unknown' });
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.upstreamRequest?.headers['x-call-dispatch'], '2');
    const host2 = new WasmHost({ clusters: { known: 'http://127.0.0.1:9' } });
    await host2.loadPlugin({ wasm, configuration: 'ops=bad-call;cluster=known' });
    const r2 = await host2.runStream({ request: { headers: GET } });
    assert.equal(r2.upstreamRequest?.headers['x-call-dispatch'], '2');
    await host.close();
    await host2.close();
  });

  it('makes every call on the root context: delivered to its id after the stream ended, as cpp-host does', async () => {
    const host = new WasmHost({ clusters: { [CLUSTER]: 'http://127.0.0.1:9' }, httpCallHandler: () => ({ status: 200, body: 'late', delayMs: 30 }) });
    const p = await host.loadPlugin({ wasm, configuration: `cluster=${CLUSTER};ops=fire|root-call` });
    await host.runStream({ request: { headers: GET } });
    await host.idle();
    assert.equal(p.httpCalls.length, 2);
    const byPath = Object.fromEntries(p.httpCalls.map((c) => [c.headers[':path'], c]));
    assert.equal(byPath['/fire'].contextId, p.rootContext.id, 'a call from a stream context belongs to the root');
    assert.equal(byPath['/log'].contextId, p.rootContext.id);
    for (const c of Object.values(byPath)) assert.ok(c.outcome && 'status' in c.outcome && c.outcome.delivered);
    const responses = p.logs.filter((l) => l.message.startsWith('call response'));
    assert.equal(responses.length, 2, 'ending the stream cancels nothing');
    for (const r of responses) assert.match(r.message, new RegExp(`^call response ctx=${p.rootContext.id} .* status=200 body=late`));
    await host.close();
  });

  it('cancels outstanding calls when the root context is destroyed at shutdown', async () => {
    const host = new WasmHost({ clusters: { [CLUSTER]: 'http://127.0.0.1:9' }, httpCallHandler: () => ({ status: 200, body: 'late', delayMs: 10_000 }) });
    const p = await host.loadPlugin({ wasm, configuration: `cluster=${CLUSTER};ops=fire` });
    await host.runStream({ request: { headers: GET } });
    await host.close();
    assert.deepEqual(p.httpCalls[0].outcome, { failure: 'cancelled', delivered: false });
    assert.equal(p.logs.filter((l) => l.message.startsWith('call response')).length, 0);
  });

  it('fails a call inline with InternalFailure when the cluster has no healthy host, and calls nothing back', async () => {
    const host = new WasmHost({ clusters: { empty: '' } });
    const p = await host.loadPlugin({ wasm, configuration: 'ops=call;cluster=empty' });
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.upstreamRequest?.headers['x-call-dispatch'], '10');
    const host3 = new WasmHost({ clusters: { dns: 'http://no-such-host.invalid:80' } });
    const p3 = await host3.loadPlugin({ wasm, configuration: 'ops=call;cluster=dns' });
    await host3.clustersResolved();
    const r3 = await host3.runStream({ request: { headers: GET } });
    assert.equal(r3.upstreamRequest?.headers['x-call-dispatch'], '10', 'a name that resolves to nothing leaves the cluster without hosts');
    assert.equal(p3.logs.filter((l) => l.message.startsWith('call response')).length, 0);
    await host3.close();
    const host2 = new WasmHost({ httpCallHandler: () => ({ noHealthyUpstream: true }) });
    const p2 = await host2.loadPlugin({ wasm, configuration: 'ops=call;cluster=any' });
    const r2 = await host2.runStream({ request: { headers: GET } });
    assert.equal(r2.upstreamRequest?.headers['x-call-dispatch'], '10');
    await host.idle();
    await host2.idle();
    assert.equal([...p.logs, ...p2.logs].filter((l) => l.message.startsWith('call response')).length, 0);
    await host.close();
    await host2.close();
  });

  it('lets a plugin answer locally from the call response while the request is paused', async () => {
    const host = new WasmHost({ httpCallHandler: () => ({ status: 403, body: 'no' }) });
    const p = await host.loadPlugin({ wasm, configuration: 'ops=call|call-deny;cluster=auth' });
    const r = await host.runStream({ request: { headers: { ...GET, ':method': 'POST' }, body: ['a', 'b'] } });
    assert.equal(r.upstreamRequest, undefined);
    assert.equal(r.response.status, 401);
    assert.equal(r.response.body, 'check said 403');
    assert.match(p.logs.find((l) => l.message.startsWith('on_log'))!.message, /code=401 flags=0 details=denied_after_call/);
    assert.equal(p.logs.filter((l) => l.message.startsWith('request body')).length, 0, 'the held body never reached the plugin');
    await host.close();
  });

  it('lets an interceptor answer with a timeout or a reset', async () => {
    const replies = [{ timeout: true as const }, { reset: true as const }];
    const host = new WasmHost({ clusters: {}, httpCallHandler: () => replies.shift() });
    const p = await host.loadPlugin({ wasm, configuration: 'ops=call;cluster=any' });
    const a = await host.runStream({ request: { headers: GET } });
    const b = await host.runStream({ request: { headers: GET } });
    assert.equal(a.upstreamRequest?.headers['x-check-status'], '504');
    assert.equal(b.upstreamRequest?.headers['x-check-status'], 'failed');
    assert.match(p.logs.filter((l) => l.message.startsWith('call response'))[1].message, /headers=0 status=<none>/);
    await host.close();
  });
});

describe('ticks, time, metrics', () => {
  it('fires ticks deterministically with the manual clock and reads its time', async () => {
    const host = new WasmHost({ clock: 'manual' });
    const p = await host.loadPlugin({ wasm, configuration: 'tick=1000' });
    const t0 = host.clock.nowNs();
    assert.equal(host.advance(3500), 3);
    assert.equal(p.metricsSnapshot().test_ticks_total.value, 3);
    const times = p.logs.filter((l) => l.message.startsWith('tick')).map((l) => BigInt(l.message.split('now=')[1]));
    assert.deepEqual(times, [t0 + 1_000_000_000n, t0 + 2_000_000_000n, t0 + 3_000_000_000n]);
    await host.close();
  });

  it('keeps counters, gauges and histograms with Envoy semantics', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm });
    await host.runStream({ request: { headers: { ...GET, ':method': 'POST' }, body: ['abc', 'de'] } });
    const r = await host.runStream({ request: { headers: { ...GET, 'x-op': 'metrics' } } });
    const m = p.metricsSnapshot();
    assert.equal(m.test_requests_total.value, 2);
    assert.equal(m.test_inflight.value, 0, 'gauge went up and down');
    assert.deepEqual(m.test_body_bytes.samples, [3, 2]);
    assert.equal(r.upstreamRequest?.headers['x-requests'], '2');
    assert.equal(r.upstreamRequest?.headers['x-counter-decrement'], '2', 'a counter cannot go down: BadArgument');
    assert.equal(r.upstreamRequest?.headers['x-histogram-get'], '-2', 'a histogram cannot be read: BadArgument');
    await host.close();
  });
});

describe('shutdown', () => {
  it('waits for proxy_done when the root context answers on_done with false', async () => {
    const collector = await startServer();
    const host = new WasmHost({ clusters: { c: collector.url } });
    const p = await host.loadPlugin({ wasm, configuration: 'cluster=c;flush-on-done' });
    await host.close();
    assert.equal(collector.requests.length, 1);
    assert.equal(collector.requests[0].body, 'pending-records');
    const msgs = p.logs.map((l) => l.message);
    assert.ok(msgs.includes('flushed; done=0'));
    assert.ok(msgs.indexOf('flushed; done=0') < msgs.indexOf(`delete ctx=${p.rootContext.id}`));
    await collector.close();
  });
});

describe('shutdown deadline', () => {
  it('deletes the root context when the deadline passes without proxy_done, cancelling its calls; the root never sees on_log', async () => {
    const host = new WasmHost({ httpCallHandler: () => ({ status: 200, delayMs: 10_000 }) });
    const p = await host.loadPlugin({ wasm, configuration: 'cluster=c;flush-on-done' });
    await host.close(50);
    assert.deepEqual(p.httpCalls[0].outcome, { failure: 'cancelled', delivered: false });
    const msgs = p.logs.map((l) => l.message);
    assert.ok(msgs.includes(`delete ctx=${p.rootContext.id}`));
    assert.ok(!msgs.some((m) => m.startsWith(`on_log ctx=${p.rootContext.id} `)), 'no on_log on a root context');
  });
});

describe('shared data and queues', () => {
  it('supports compare-and-swap and wakes the queue owner', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm });
    const r = await host.runStream({ request: { headers: { ...GET, 'x-op': 'shared,queue' } } });
    assert.match(r.upstreamRequest?.headers['x-shared'] ?? '', /^v1\|cas=\d+$/);
    assert.equal(r.upstreamRequest?.headers['x-cas-status'], '8');
    await host.idle();
    assert.ok(p.logs.some((l) => /^queue \d+ item item-\d+$/.test(l.message)));
    await host.close();
  });
});

describe('local responses, unimplemented functions and traps', () => {
  it('replaces the upstream response when a plugin replies from the response path', async () => {
    const host = new WasmHost();
    await host.loadPlugin({ wasm, configuration: 'ops=resp-local' });
    const r = await host.runStream({ request: { headers: GET }, response: { headers: { ':status': '200' }, body: 'orig' } });
    assert.equal(r.response.status, 502);
    assert.equal(r.response.body, 'replaced');
    await host.close();
  });

  it('gives a plugin that never saw the request only on_log, as Envoy does', async () => {
    const host = new WasmHost();
    const a = await host.loadPlugin({ wasm, configuration: 'name=a;ops=local', name: 'a' });
    const b = await host.loadPlugin({ wasm, configuration: 'name=b', name: 'b' });
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.response.status, 403);
    assert.equal(r.response.headers['x-plugin'], 'a');
    const bl = b.logs.map((l) => l.message);
    assert.ok(!bl.some((m) => m.startsWith('request headers') || m.startsWith('response headers')));
    assert.ok(bl.some((m) => /^on_log .* code=403 .*details=denied_by_a/.test(m)));
    assert.ok(a.logs.some((l) => l.message.startsWith('response headers')));
    assert.equal(b.liveContexts, 1);
    await host.close();
  });

  it('answers Unimplemented for functions the host lacks and logs it once', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm, configuration: 'ops=unimpl' });
    const r = await host.runStream({ request: { headers: GET } });
    await host.runStream({ request: { headers: GET } });
    assert.equal(r.upstreamRequest?.headers['x-grpc-status'], '12');
    assert.equal(p.logs.filter((l) => l.message.includes('proxy_grpc_call is not implemented')).length, 1);
    await host.close();
  });

  it('fails a trapping plugin closed (503) by default, and open when configured', async () => {
    const closed = new WasmHost();
    const pc = await closed.loadPlugin({ wasm });
    const r1 = await closed.runStream({ request: { headers: { ...GET, 'x-op': 'trap' } } });
    assert.equal(r1.response.status, 503);
    assert.equal(r1.upstreamRequest, undefined);
    assert.ok(pc.failed);
    assert.ok(pc.logs.some((l) => l.level === 'critical' && /failed in proxy_on_request_headers/.test(l.message)));
    const r2 = await closed.runStream({ request: { headers: GET } });
    assert.equal(r2.response.status, 503, 'the failed plugin keeps failing requests');
    const open = new WasmHost({ failOpen: true });
    await open.loadPlugin({ wasm });
    const r3 = await open.runStream({ request: { headers: { ...GET, 'x-op': 'trap' } }, response: { body: 'fine' } });
    assert.equal(r3.response.status, 200);
    assert.equal(r3.response.body, 'fine');
    await closed.close();
    await open.close();
  });
});

describe('ABI versions and WASI', () => {
  it('loads an ABI 0.1.0 module with its two-argument header callbacks', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm: await compileWat('abi010'), configuration: 'cfg-010' });
    assert.equal(p.abi, '0.1.0');
    assert.ok(p.logs.some((l) => l.message === 'cfg-010'));
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.upstreamRequest?.headers['x-abi'], '0.1.0');
    assert.equal(r.upstreamRequest?.headers['x-missing-status'], '00', '0.1.0 answers a missing header with Ok and an empty value');
    assert.equal(r.response.headers['x-response-abi'], '0.1.0');
    await host.close();
  });

  it('serves WASI fd_write, clocks, random and environ, and treats proc_exit as a trap', async () => {
    const host = new WasmHost({ failOpen: false });
    const p = await host.loadPlugin({ wasm: await compileWat('wasi'), env: { GREETING: 'hi' } });
    assert.deepEqual(p.logs.slice(0, 2).map((l) => [l.level, l.message]), [['info', 'init via wasi'], ['error', 'to stderr']]);
    const r = await host.runStream({ request: { headers: GET } });
    assert.equal(r.upstreamRequest?.headers['x-env'], 'GREETING=hi');
    assert.equal(r.upstreamRequest?.headers['x-clock-ok'], '1');
    host.advance(1000);
    assert.ok(p.failed);
    assert.ok(p.logs.some((l) => l.level === 'critical' && /proc_exit\(3\)/.test(l.message)));
    await host.close();
  });

  it('detects ABI 0.2.0 from its version export', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm: await compileWat('noop', (s) => s.replace('proxy_abi_version_0_2_1', 'proxy_abi_version_0_2_0')) });
    assert.equal(p.abi, '0.2.0');
    const r = await host.runStream({ request: { headers: GET }, response: { body: 'b' } });
    assert.deepEqual(r.actions.map((a) => a.callback), ['proxy_on_request_headers', 'proxy_on_response_headers', 'proxy_on_response_body']);
    const unversioned = await compileWat('noop', (s) => s.replace('proxy_abi_version_0_2_1', 'other'));
    await assert.rejects(() => host.loadPlugin({ wasm: unversioned }), /unsupported Proxy-Wasm ABI version/);
    await host.close();
  });

  it('refuses a module with an import Envoy does not provide', async () => {
    const host = new WasmHost();
    await assert.rejects(async () => host.loadPlugin({ wasm: await compileWat('missing-import') }), (e: unknown) => e instanceof PluginLoadError && /missing import: env\.abort/.test(e.message));
    await host.close();
  });
});
