// Nothing the plugin holds is lost when its VM shuts down (every WasmPlugin update rebuilds it; a
// gateway stop shuts it down): proxy_on_done answers false, the plugin sends what it holds within
// drain_timeout_ms and then calls proxy_done. In Envoy, destroying the root context cancels its
// outstanding calls, so the plugin must not count on the host waiting for them.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCollector, loadConfig } from '@db-log-pusher/collector';
import { startMockLlm } from '@db-log-pusher/mock-llm';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { harness, COLLECTOR_CLUSTER } from './helpers.js';

const get = (i: number) => ({ request: { headers: { ':method': 'GET', ':path': `/held/${i}`, ':authority': 'shop.local' } } });
// Batches that never fill and a flush a minute away: every record stays held until shutdown.
const HOLD = { batch_size: 100, flush_interval_ms: 60000 };

test('at VM shutdown on_done answers false, the held records are sent, then proxy_done', async (t) => {
  const h = await harness(HOLD, { clock: 'real' });
  t.after(() => h.host.close());
  h.answer(() => ({ status: 200, delayMs: 50 }));
  for (let i = 0; i < 50; i++) await h.host.runStream(get(i));
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 0, 'nothing sent before shutdown');
  assert.equal(h.metric('db_log_pusher.records_queued'), 50);
  await h.host.close();
  assert.equal(h.vm.httpCalls.length, 1);
  assert.deepEqual(h.records().map((r) => r.path), Array.from({ length: 50 }, (_, i) => `/held/${i}`));
  assert.equal(h.metric('db_log_pusher.records_sent'), 50, 'the collector\'s answer reached the plugin');
  assert.equal(h.metric('db_log_pusher.records_queued'), 0);
  assert.ok(h.vm.logs.some((l) => /drained, VM done/.test(l.message)), h.vm.logs.map((l) => l.message).join('\n'));
});

test('a drain that cannot finish ends by drain_timeout_ms: the held records are counted as failed', async (t) => {
  // A collector that takes every request and never answers.
  const silent = http.createServer(() => {});
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { silent.closeAllConnections(); silent.close(() => r()); }));
  const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  const h = await harness({ ...HOLD, drain_timeout_ms: 200, timeout_ms: 5000 }, { clock: 'real', httpCallHandler: undefined, clusters: { [COLLECTOR_CLUSTER]: url } });
  t.after(() => h.host.close());
  for (let i = 0; i < 50; i++) await h.host.runStream(get(i));
  await h.host.close(10_000);
  assert.ok(h.vm.httpCalls.every((c) => c.timeoutMs <= 200), `calls made while draining end by the deadline: ${h.vm.httpCalls.map((c) => c.timeoutMs)}`);
  assert.equal(h.metric('db_log_pusher.records_failed'), 50);
  assert.equal(h.metric('db_log_pusher.records_sent'), 0);
  assert.equal(h.metric('db_log_pusher.records_queued'), 0);
});

const GATEWAY_CLI = fileURLToPath(new URL('../../wasm-host/dist/cli.js', import.meta.url));

async function startGatewayProcess(t: TestContext, args: string[]): Promise<{ url: string; stop(): Promise<number | null>; stderr(): string }> {
  const child = spawn(process.execPath, [GATEWAY_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: string) => {
      err += d;
      const m = /"msg":"gateway listening".*?"url":"([^"]+)"/.exec(err);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`db-log-gateway exited (${code}): ${err}`)));
  });
  t.after(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  return {
    url,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

test('db-log-gateway stopped with SIGTERM while the plugin holds 50 records: the collector stores all 50', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-shutdown-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const collector = await startCollector(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50' }, []));
  t.after(() => collector.close());
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const fqdn = 'log-collector.higress-system.svc.cluster.local';
  const gw = await startGatewayProcess(t, [
    '--listen', '127.0.0.1:0', '--upstream', llm.url, '--log-level', 'info',
    '--plugin', PUSHER_WASM_PATH,
    '--config', JSON.stringify({ collector_service_name: fqdn, collector_port: 80, collector_path: '/ingest', ...HOLD }),
    '--cluster', `outbound|80||${fqdn}=${collector.url}`,
  ]);
  for (let i = 0; i < 50; i++) {
    const r = await fetch(`${gw.url}/health?held=${i}`, { headers: { 'x-request-id': `held-${i}` } });
    assert.equal(r.status, 200);
    await r.text();
  }
  const before = (await (await fetch(`${collector.url}/query?page_size=1`)).json()) as { total: number };
  assert.equal(before.total, 0, 'nothing delivered before the stop');
  assert.equal(await gw.stop(), 0, gw.stderr());
  let total = 0;
  for (const deadline = Date.now() + 10_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    total = ((await (await fetch(`${collector.url}/query?page_size=1`)).json()) as { total: number }).total;
    if (total >= 50) break;
  }
  assert.equal(total, 50, gw.stderr());
});
