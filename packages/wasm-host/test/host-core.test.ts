import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PluginLoadError, WasmHost } from '../src/index.js';
import { compileAs, startServer } from './helpers.js';

const CLUSTER = 'outbound|80||check.default.svc.cluster.local';

describe('lifecycle, headers, bodies', () => {
  let wasm: Uint8Array;
  before(() => {
    wasm = compileAs('conformance');
  });

  it('configures the root context and rejects a configuration when on_configure returns false', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm, configuration: 'name=a', name: 'a' });
    assert.equal(p.abi, '0.2.1');
    assert.ok(p.logs.some((l) => l.message === 'configured: name=a'));
    await assert.rejects(
      () => host.loadPlugin({ wasm, configuration: 'name=b;reject' }),
      (e: unknown) => e instanceof PluginLoadError && /on_configure returned false/.test(e.message) && /configuration rejected: name=b;reject/.test(e.message),
    );
    assert.equal(host.plugins.length, 1);
    await host.close();
  });

  it('runs the stream lifecycle in Envoy order and lets plugins edit headers', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm, configuration: 'name=a' });
    const r = await host.runStream({
      request: { headers: { ':method': 'GET', ':path': '/x', ':authority': 'h', 'x-op': 'add-req', 'x-replace': 'old', 'x-remove': 'gone' } },
      response: { headers: { ':status': '200' }, body: 'hello' },
    });
    assert.equal(r.upstreamRequest?.headers['x-added-by'], 'a');
    assert.equal(r.upstreamRequest?.headers['x-replace'], 'new');
    assert.equal(r.upstreamRequest?.headers['x-remove'], undefined);
    assert.equal(r.response.headers['x-plugin'], 'a');
    assert.equal(r.response.body, 'hello');
    const order = p.logs.map((l) => l.message.split(' ')[0] + (l.message.startsWith('request') || l.message.startsWith('response') ? ' ' + l.message.split(' ')[1] : ''));
    const idx = (s: string) => order.indexOf(s);
    assert.ok(idx('request headers') < idx('response headers'));
    assert.ok(idx('response headers') < idx('response body'));
    assert.ok(idx('response body') < idx('on_log'));
    assert.ok(idx('on_log') < order.lastIndexOf('done'));
    assert.ok(order.lastIndexOf('done') < order.lastIndexOf('delete'));
    await host.close();
  });

  it('dispatches an http call to a cluster, pauses, and resumes on the answer', async () => {
    const upstream = await startServer((req, res) => {
      res.setHeader('x-seen', req.url);
      res.end('allowed');
    });
    const host = new WasmHost({ clusters: { [CLUSTER]: upstream.url } });
    const p = await host.loadPlugin({ wasm, configuration: `name=a;cluster=${CLUSTER}` });
    const r = await host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'h', 'x-op': 'call' } } });
    assert.equal(r.upstreamRequest?.headers['x-check-status'], '200');
    assert.equal(p.httpCalls.length, 1);
    const call = p.httpCalls[0];
    assert.equal(call.cluster, CLUSTER);
    assert.equal(call.headers[':method'], 'POST');
    assert.equal(call.headers[':path'], '/check');
    assert.equal(call.body, 'payload');
    assert.equal(call.timeoutMs, 1000);
    assert.deepEqual(call.outcome && 'status' in call.outcome ? [call.outcome.status, call.outcome.body] : [], [200, 'allowed']);
    assert.equal(upstream.requests[0].headers.host, 'check.local');
    assert.equal(upstream.requests[0].headers['x-from'], 'a');
    await host.close();
    await upstream.close();
  });
});

describe('README', () => {
  it('documents the encoding of every well-known property the host knows', async () => {
    const { readFileSync } = await import('node:fs');
    const { FLAVOURS, propertyTypes } = await import('../src/index.js');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const [path, type] of FLAVOURS.flatMap((f) => Object.entries(propertyTypes(f)))) {
      const row = readme.split('\n').find((l) => l.startsWith(`| ${type}:`));
      assert.ok(row?.includes(`\`${path}\``), `${path} (${type}) is missing from the README table`);
    }
  });
});

describe('property encodings', () => {
  it('writes int64 and uint64 as 8 little-endian bytes for numbers and bigints alike', async () => {
    const { encodeTyped, encodeProperty } = await import('../src/index.js');
    for (const v of [0, 1, -1, -2, 2 ** 40 + 5, -(2 ** 40) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER]) {
      assert.equal(Buffer.from(encodeTyped({ type: 'int64', value: v })).readBigInt64LE(0), BigInt(v), String(v));
      assert.equal(Buffer.from(encodeTyped({ type: 'int64', value: BigInt(v) })).readBigInt64LE(0), BigInt(v), `${v}n`);
    }
    assert.equal(Buffer.from(encodeTyped({ type: 'uint64', value: 2n ** 63n + 1n })).readBigUInt64LE(0), 2n ** 63n + 1n);
    assert.equal(Buffer.from(encodeProperty('response.code', 503)).readBigInt64LE(0), 503n);
    assert.equal(Buffer.from(encodeProperty('response.flags', 0x20)).readBigUInt64LE(0), 0x20n);
    assert.deepEqual([...encodeProperty('connection.mtls', false)], [0]);
    assert.equal(Buffer.from(encodeProperty('custom.ratio', 0.5)).readDoubleLE(0), 0.5);
    assert.equal(Buffer.from(encodeProperty('route_name', 'r')).toString(), 'r');
  });
});
