// Plugins as each SDK's runtime behaves, run the way Envoy runs them: stand-ins in WAT for what
// the Go SDK (and Higress's wrapper on it), the C++ SDK built with Emscripten and the Rust SDK
// do, since those toolchains are not available here.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startGateway, serializePairs, WasmHost } from '../src/index.js';
import { compileWat, startServer } from './helpers.js';

/** A byte string as a WAT data string. */
function watBytes(b: Uint8Array): string {
  return [...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('');
}

async function goSdk(opts: { cluster?: string; routeCluster?: boolean; abi?: string }): Promise<Uint8Array> {
  const headers = serializePairs([[':method', 'GET'], [':path', '/auth'], [':authority', 'auth.local']]);
  const cluster = new TextEncoder().encode(opts.cluster ?? '');
  return compileWat('sdk/go-sdk', (s) => s
    .replace('{{ROUTE_CLUSTER}}', opts.routeCluster ? '1' : '0')
    .replace('{{CLUSTER}}', watBytes(cluster)).replace('{{CLUSTER_LEN}}', String(cluster.length))
    .replace('{{HEADERS}}', watBytes(headers)).replace('{{HEADERS_LEN}}', String(headers.length))
    .replace('{{ABI_EXPORT}}', `proxy_abi_version_${(opts.abi ?? '0.2.1').replaceAll('.', '_')}`));
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const r = await fetch(url);
  return { status: r.status, body: await r.text() };
}

describe('SDK runtimes in db-log-gateway', () => {
  it('Go SDK: a call dispatched from an HTTP context answers on the root context and resumes the request', async () => {
    const upstream = await startServer();
    after(() => upstream.close());
    const gw = await startGateway({
      listen: 0, upstream: upstream.url, logLevel: 'critical', timeoutMs: 3000,
      clusters: { auth: upstream.url },
      plugins: [{ wasm: await goSdk({ cluster: 'auth' }), name: 'go' }],
    });
    try {
      const r = await get(`${gw.url}/data`);
      assert.equal(r.status, 200);
      assert.deepEqual(upstream.requests.map((q) => q.url), ['/auth', '/data']);
      assert.equal(upstream.requests[1].headers['x-callout'], 'done');
      assert.equal(gw.host.plugins[0].failed, false);
    } finally {
      await gw.close();
    }
  });

  it("Higress wrapper: a plugin calls its route's own cluster (cluster_name) without declaring it", async () => {
    const upstream = await startServer();
    after(() => upstream.close());
    const gw = await startGateway({
      listen: 0, upstream: upstream.url, logLevel: 'critical', timeoutMs: 3000,
      plugins: [{ wasm: await goSdk({ routeCluster: true, abi: '0.2.0' }), name: 'higress' }],
    });
    try {
      const r = await get(`${gw.url}/data`);
      assert.equal(r.status, 200);
      assert.equal(upstream.requests[0].url, '/auth', 'the call went to the route cluster');
      assert.equal(upstream.requests[1].headers['x-dispatch-status'], undefined);
      assert.equal(upstream.requests[1].headers['x-callout'], 'done');
    } finally {
      await gw.close();
    }
  });
});

describe('SDK runtimes in the test API', () => {
  it("C++ SDK (Emscripten): Envoy's emscripten_notify_memory_growth and pthread_equal are linked", async () => {
    const host = new WasmHost();
    await host.loadPlugin({ wasm: await compileWat('sdk/cpp-sdk') });
    const r = await host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } } });
    assert.equal(r.upstreamRequest?.headers['x-cpp'], 'grown');
    await host.close();
  });

  it('Rust SDK: every HTTP context is created under the root context it belongs to, and only callbacks of live contexts follow', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm: await compileWat('sdk/rust-sdk'), name: 'rust' });
    for (let i = 0; i < 3; i++) {
      const r = await host.runStream({ plugins: [p], request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a' } } });
      assert.equal(r.upstreamRequest?.headers['x-rust'], 'http-context');
    }
    await host.close();
    assert.equal(p.failed, false);
  });
});
