// One VM per worker as Envoy runs one per worker thread, plus the canary VM that validates a
// configuration first (proxy-wasm-cpp-host's WasmHandleBase::canary).
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startGateway, WasmHost } from '../src/index.js';
import { compileAs, startServer } from './helpers.js';

let wasm: Uint8Array;
before(() => {
  wasm = compileAs('conformance');
});

function get(url: string, agent: http.Agent | false): Promise<void> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent, headers: { 'x-op': 'count' } }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    }).on('error', reject);
  });
}

describe('workers', () => {
  it('serves each connection by one worker whose VM has its own memory, while stats are shared', async () => {
    const upstream = await startServer();
    after(() => upstream.close());
    const gw = await startGateway({ listen: 0, upstream: upstream.url, logLevel: 'critical', concurrency: 2, plugins: [{ wasm }] });
    try {
      assert.equal(gw.host.workers.length, 2);
      for (let i = 0; i < 4; i++) await get(`${gw.url}/new-${i}`, false); // a new connection each
      const keep = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (let i = 0; i < 3; i++) await get(`${gw.url}/kept-${i}`, keep);
      keep.destroy();
      const h = upstream.requests.map((r) => r.headers);
      assert.deepEqual(h.slice(0, 4).map((x) => x['x-vm-seen']), ['1', '1', '2', '2'], 'connections alternate between two VMs');
      const kept = h.slice(4).map((x) => Number(x['x-vm-seen']));
      assert.deepEqual(kept.map((n) => n - kept[0]), [0, 1, 2], 'one connection stays on one VM');
      assert.deepEqual(h.map((x) => x['x-shared-count']), ['1', '2', '3', '4', '5', '6', '7'], "one stats store, as Envoy's");
      assert.equal(gw.host.plugins[0].metricsSnapshot().test_requests_total.value, 7);
    } finally {
      await gw.close();
    }
  });

  it('validates the configuration in a canary VM that is destroyed before the workers start', async () => {
    const lines: string[] = [];
    const host = new WasmHost({ onLog: (e) => lines.push(e.message) });
    const p = await host.loadPlugin({ wasm, configuration: 'name=c;tick=1000' });
    assert.equal(lines.filter((l) => l === 'configured: name=c;tick=1000').length, 2, 'the canary and the worker VM each configured it');
    assert.equal(p.logs.filter((l) => l.message.startsWith('configured')).length, 1, "the worker VM's own log");
    host.advance(1000);
    assert.equal(lines.filter((l) => l.startsWith('tick')).length, 1, 'the canary is gone: no tick of its own');
    await host.close();
    await assert.rejects(() => new WasmHost().loadPlugin({ wasm, configuration: 'reject' }), /proxy_on_configure returned false/);
  });
});
