// Requests per second through db-log-gateway with a no-op proxy-wasm plugin versus the same
// gateway with no plugin, measured side by side in one run against a local upstream.
// The gateways run on the main thread (what is measured); the upstream and the load generator
// run in a worker thread so they do not compete for the gateway's event loop.
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { HeaderMap, startGateway, WasmHost } from '../packages/wasm-host/src/index.js';
import { compileWat } from '../packages/wasm-host/test/helpers.js';

const CONCURRENCY = 32;
const ROUND_MS = 1500;
const ROUNDS = 8;
const STREAMS = 50_000;

const workerSource = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const body = Buffer.from('{"ok":true,"usage":{"prompt_tokens":10,"completion_tokens":20}}');
const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length }); res.end(body); });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
parentPort.on('message', async (m) => {
  if (m.stop) { server.closeAllConnections(); server.close(); parentPort.close(); return; }
  const agent = new http.Agent({ keepAlive: true, maxSockets: m.concurrency });
  const u = new URL(m.url);
  let ok = 0, errors = 0;
  const end = Date.now() + m.durationMs;
  const one = () => new Promise((resolve) => {
    const r = http.request({ hostname: u.hostname, port: u.port, path: '/v1/chat/completions', method: 'POST', agent,
      headers: { 'content-type': 'application/json', 'content-length': 17 } }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) ok++; else errors++; resolve(); });
    });
    r.on('error', () => { errors++; resolve(); });
    r.end('{"model":"gpt-4"}');
  });
  const loop = async () => { while (Date.now() < end) await one(); };
  await Promise.all(Array.from({ length: m.concurrency }, loop));
  agent.destroy();
  parentPort.postMessage({ ok, errors });
});
`;

/** The same exchange through the host without sockets: isolates the host's own cost. */
function inProcess(host: WasmHost, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = host.openStream(
      {
        requestHeaders: new HeaderMap([[':method', 'POST'], [':path', '/v1/chat/completions'], [':authority', 'api'], ['content-type', 'application/json']]),
        properties: { 'source.address': '127.0.0.1:50000', 'source.port': 50000, route_name: 'r', cluster_name: 'c', 'connection.id': i },
      },
      {},
    );
    s.startRequest(false);
    s.requestData(new Uint8Array(17), false);
    s.requestData(new Uint8Array(), true);
    s.startResponse(new HeaderMap([[':status', '200'], ['content-type', 'application/json']]), false);
    s.responseData(new Uint8Array(64), false);
    s.responseData(new Uint8Array(), true);
  }
  return Number(process.hrtime.bigint() - t0) / n / 1000;
}

async function main(): Promise<void> {
  const worker = new Worker(workerSource, { eval: true });
  const port = await new Promise<number>((r) => worker.once('message', (m: { port: number }) => r(m.port)));
  const upstream = `http://127.0.0.1:${port}`;
  const noop = await compileWat('noop');
  const quiet = () => {};
  const bare = await startGateway({ listen: 0, upstream, logger: quiet });
  const withPlugin = await startGateway({ listen: 0, upstream, plugins: [{ wasm: noop, name: 'noop' }], logger: quiet });
  const load = (url: string, durationMs: number) =>
    new Promise<{ ok: number; errors: number }>((resolve) => {
      worker.once('message', resolve);
      worker.postMessage({ url, durationMs, concurrency: CONCURRENCY });
    });
  await load(bare.url, 1000);
  await load(withPlugin.url, 1000);
  const totals = { bare: { ok: 0, errors: 0, ms: 0, busyMs: 0 }, plugin: { ok: 0, errors: 0, ms: 0, busyMs: 0 } };
  for (let i = 0; i < ROUNDS; i++) {
    // ABBA order: whichever runs second in a pair pays for the first's garbage; alternate it.
    const pair = [['bare', bare], ['plugin', withPlugin]] as const;
    for (const [name, gw] of i % 2 === 0 ? pair : [...pair].reverse()) {
      const t0 = Date.now();
      const elu0 = performance.eventLoopUtilization();
      const r = await load(gw.url, ROUND_MS);
      totals[name].busyMs += performance.eventLoopUtilization(elu0).active;
      totals[name].ms += Date.now() - t0;
      totals[name].ok += r.ok;
      totals[name].errors += r.errors;
    }
  }
  const rps = (t: { ok: number; ms: number }) => (t.ok * 1000) / t.ms;
  const r0 = rps(totals.bare);
  const r1 = rps(totals.plugin);
  console.log(`gateway, no plugin:       ${r0.toFixed(0)} req/s (${totals.bare.ok} ok, ${totals.bare.errors} errors)`);
  console.log(`gateway, no-op plugin:    ${r1.toFixed(0)} req/s (${totals.plugin.ok} ok, ${totals.plugin.errors} errors)`);
  console.log(`ratio (plugin / none):    ${(r1 / r0).toFixed(3)}`);
  const busy0 = (totals.bare.busyMs * 1000) / totals.bare.ok;
  const busy1 = (totals.plugin.busyMs * 1000) / totals.plugin.ok;
  console.log(`gateway thread busy time: ${busy0.toFixed(1)} us/request without plugin, ${busy1.toFixed(1)} us/request with it`);
  console.log(`host adds per request:    ${(busy1 - busy0).toFixed(1)} us (busy-time difference; throughput view: ${(1e6 / r1 - 1e6 / r0).toFixed(1)} us)`);
  const hostNone = new WasmHost({ clock: 'real' });
  const hostNoop = new WasmHost({ clock: 'real' });
  await hostNoop.loadPlugin({ wasm: noop, name: 'noop' });
  inProcess(hostNone, 2000);
  inProcess(hostNoop, 2000);
  let none = 0;
  let one = 0;
  for (let i = 0; i < 5; i++) {
    none += inProcess(hostNone, STREAMS);
    one += inProcess(hostNoop, STREAMS);
  }
  console.log(`in-process stream cost:   ${(none / 5).toFixed(2)} us without plugin, ${(one / 5).toFixed(2)} us with it (${((one - none) / 5).toFixed(2)} us per request for 9 plugin callbacks)`);
  await bare.close();
  await withPlugin.close();
  worker.postMessage({ stop: true });
}

void main();
