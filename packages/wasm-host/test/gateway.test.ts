import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startGateway } from '../src/index.js';
import { compileAs, loggedProp, startServer } from './helpers.js';

const CLUSTER = 'outbound|80||check.default.svc.cluster.local';

function request(url: string, opts: { method?: string; path?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(opts.path ?? '/', url);
    const r = http.request(u, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    r.on('error', reject);
    r.end(opts.body);
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('db-log-gateway with real HTTP', () => {
  let wasm: Uint8Array;
  let upstream: Awaited<ReturnType<typeof startServer>>;
  let check: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    wasm = compileAs('conformance');
    upstream = await startServer((req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.setHeader('x-upstream-saw', String(req.headers['x-check-status'] ?? req.headers['x-ai-log'] ?? ''));
      res.end(`upstream got ${req.method} ${req.url} ${req.body}`);
    });
    check = await startServer((_req, res) => {
      res.statusCode = 202;
      res.end('checked');
    });
  });
  after(async () => {
    await upstream.close();
    await check.close();
  });

  it('adds a response header and proxies the body', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, plugins: [{ wasm, configuration: 'name=hdr' }], logger: () => {} });
    try {
      const r = await request(gw.url, { method: 'POST', path: '/a?b=1', body: 'hi' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-plugin'], 'hdr');
      assert.equal(r.body, 'upstream got POST /a?b=1 hi');
      assert.match(String(r.headers['x-envoy-upstream-service-time']), /^\d+$/);
      const seen = upstream.requests.at(-1)!;
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
      const onLog = gw.host.plugins[0].logs.find((l) => l.message.startsWith('on_log'))!.message;
      const m = /code=200 flags=0 details=via_upstream duration_ns=(\d+)/.exec(onLog);
      assert.ok(m && BigInt(m[1]) > 0n, onLog);
      assert.match(String(seen.headers['x-request-id']), /^[0-9a-f-]{36}$/);
    } finally {
      await gw.close();
    }
  });

  it('deletes every stream context once its exchange ends, under concurrent load', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, clusters: { [CLUSTER]: check.url }, plugins: [{ wasm, configuration: `name=c;cluster=${CLUSTER}` }], logger: () => {} });
    try {
      const ops = ['', 'call', 'local', 'buffer-req', 'fire'];
      const results = await Promise.all(Array.from({ length: 200 }, (_, i) => request(gw.url, { method: 'POST', path: `/r${i}`, headers: { 'x-op': ops[i % ops.length] }, body: `body-${i}` })));
      assert.deepEqual([...new Set(results.map((r) => r.status))].sort(), [200, 403]);
      await gw.host.idle();
      assert.equal(gw.host.plugins[0].liveContexts, 1, 'only the root context is left');
    } finally {
      await gw.close();
    }
  });

  it('answers with a plugin local response without calling the upstream', async () => {
    const before = upstream.requests.length;
    const gw = await startGateway({ listen: 0, upstream: upstream.url, plugins: [{ wasm, configuration: 'name=deny;ops=local' }], logger: () => {} });
    try {
      const r = await request(gw.url, { path: '/secret' });
      assert.equal(r.status, 403);
      assert.equal(r.body, 'denied by deny');
      assert.equal(r.headers['x-denied-by'], 'deny');
      assert.equal(r.headers['x-plugin'], 'deny', 'the local response runs through the response path');
      assert.equal(upstream.requests.length, before);
      const log = gw.host.plugins[0].logs.find((l) => l.message.startsWith('on_log'));
      assert.match(log?.message ?? '', /code=403 flags=0 details=denied_by_deny/);
    } finally {
      await gw.close();
    }
  });

  it('dispatches an http call to a cluster and resumes the request on the answer', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, clusters: { [CLUSTER]: check.url }, plugins: [{ wasm, configuration: `name=caller;ops=call;cluster=${CLUSTER}` }], logger: () => {} });
    try {
      const r = await request(gw.url, { path: '/guarded' });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-upstream-saw'], '202');
      assert.equal(r.headers['x-call-status'], '202');
      assert.equal(check.requests.at(-1)?.url, '/check');
      assert.equal(check.requests.at(-1)?.body, 'payload');
    } finally {
      await gw.close();
    }
  });

  it('passes filter state written by one plugin to the next plugin in the chain', async () => {
    const gw = await startGateway({
      listen: 0,
      upstream: upstream.url,
      plugins: [
        { wasm, configuration: 'name=writer;ops=set-state', name: 'writer' },
        { wasm, configuration: 'name=reader;ops=read-state', name: 'reader' },
      ],
      logger: () => {},
    });
    try {
      const r = await request(gw.url);
      assert.equal(r.headers['x-upstream-saw'], '{"model":"m1","from":"writer"}');
      const seen = upstream.requests.at(-1)!;
      assert.equal(seen.headers['x-prefixed-status'], '1', 'reading "wasm.ai_log" as a path is NotFound in Envoy');
      assert.equal(seen.headers['x-filter-state'], '{"model":"m1","from":"writer"}');
    } finally {
      await gw.close();
    }
  });

  it('streams request and response bodies chunk by chunk', async () => {
    let resWriter: http.ServerResponse | undefined;
    const got: string[] = [];
    const slow = http.createServer((req, res) => {
      req.on('data', (c: Buffer) => got.push(c.toString()));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('part1;');
        resWriter = res;
      });
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const port = (slow.address() as { port: number }).port;
    const gw = await startGateway({ listen: 0, upstream: `http://127.0.0.1:${port}`, plugins: [{ wasm, configuration: 'name=s' }], logger: () => {} });
    try {
      const received: string[] = [];
      let ended = false;
      const req = http.request(`${gw.url}/stream`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, agent: false }, (res) => {
        res.on('data', (c: Buffer) => received.push(c.toString()));
        res.on('end', () => (ended = true));
      });
      req.write('chunk-a;');
      await until(() => got.join('') === 'chunk-a;', 'the upstream to receive the first request chunk before the request ends');
      req.write('chunk-b;');
      await until(() => got.join('') === 'chunk-a;chunk-b;', 'the second request chunk');
      req.end();
      await until(() => received.join('') === 'part1;', 'the client to receive the first response chunk before the response ends');
      resWriter!.write('part2;');
      await until(() => received.join('') === 'part1;part2;', 'the second response chunk');
      resWriter!.end();
      await until(() => ended, 'the response to end');
      const logs = gw.host.plugins[0].logs.map((l) => l.message);
      assert.ok(logs.includes('request body size=8 eos=0 data=chunk-a;'));
      assert.ok(logs.includes('request body size=8 eos=0 data=chunk-b;'));
      assert.ok(logs.includes('response body size=6 eos=0 data=part1;'));
      assert.ok(logs.includes('response body size=6 eos=0 data=part2;'));
    } finally {
      await gw.close();
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  });

  it('passes response trailers through the trailer callback', async () => {
    const withTrailers = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('data');
      res.addTrailers({ 'x-checksum': 'abc' });
      res.end();
    });
    await new Promise<void>((r) => withTrailers.listen(0, '127.0.0.1', r));
    const gw = await startGateway({ listen: 0, upstream: `http://127.0.0.1:${(withTrailers.address() as { port: number }).port}`, plugins: [{ wasm }], logger: () => {} });
    try {
      const trailers = await new Promise<Record<string, string | undefined>>((resolve, reject) => {
        http.get(gw.url, { agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.trailers));
        }).on('error', reject);
      });
      assert.equal(trailers['x-checksum'], 'abc');
      const logs = gw.host.plugins[0].logs.map((l) => l.message);
      assert.ok(logs.includes('response body size=4 eos=0 data=data'));
    } finally {
      await gw.close();
      withTrailers.close();
    }
  });

  it('answers 503 with the UF flag when the upstream is down, and fills connection properties', async () => {
    const dead = await startServer();
    const deadUrl = dead.url;
    await dead.close();
    const gw = await startGateway({ listen: 0, upstream: deadUrl, plugins: [{ wasm, configuration: 'name=p;ops=log-props' }], routeName: 'r1', logger: () => {} });
    try {
      const r = await request(gw.url, { headers: { 'x-props': 'source.address,destination.port,route_name,request.method,request.url_path' }, path: '/down?q=1' });
      assert.equal(r.status, 503);
      assert.match(r.body, /upstream connect error or disconnect\/reset before headers. reset reason: connection failure/);
      const logs = gw.host.plugins[0].logs;
      const onLog = logs.find((l) => l.message.startsWith('on_log'))!.message;
      assert.match(onLog, /code=503 flags=32 details=upstream_reset_before_response_started\{connection_failure\}/);
      assert.match(Buffer.from(loggedProp(logs, 'source.address')!, 'hex').toString(), /^127\.0\.0\.1:\d+$/);
      assert.equal(Buffer.from(loggedProp(logs, 'destination.port')!, 'hex').readBigInt64LE(0), BigInt(new URL(gw.url).port));
      assert.equal(Buffer.from(loggedProp(logs, 'route_name')!, 'hex').toString(), 'r1');
      assert.equal(Buffer.from(loggedProp(logs, 'request.url_path')!, 'hex').toString(), '/down');
      assert.ok(onLog.endsWith(` upstream=${new URL(deadUrl).host}`), `the chosen upstream host, even though it refused: ${onLog}`);
    } finally {
      await gw.close();
    }
  });
});
