// db-log-pusher benchmark (not a test): per-request wasm cost of the plugin against a no-op
// plugin in the same host and run, the .wasm size, and collector calls per 1000 requests at
// default settings under steady traffic. Loopback only, bounded in time.
//   node scripts/run-bench.mjs pusher
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { WasmHost, type PluginVm } from '@db-log-pusher/wasm-host';
import { PUSHER_WASM_PATH } from '@db-log-pusher/pusher';
import { fileURLToPath } from 'node:url';

const NOOP_WASM = fileURLToPath(new URL('../packages/pusher/build/fixtures/noop.wasm', import.meta.url));
const CONFIG = { collector_service_name: 'log-collector.higress-system.svc.cluster.local', collector_port: 80, collector_path: '/ingest' };

const sseBody = (() => {
  const parts: string[] = [];
  for (let i = 0; i < 40; i++) parts.push(`data: ${JSON.stringify({ id: 'c', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: `token${i} ` } }], usage: null })}\n\n`);
  parts.push(`data: ${JSON.stringify({ id: 'c', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 40, total_tokens: 52 } })}\n\n`, 'data: [DONE]\n\n');
  const text = parts.join('');
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += 512) chunks.push(text.slice(i, i + 512));
  return chunks;
})();

const exchange = (i: number) => ({
  request: {
    headers: { ':method': 'POST', ':path': '/v1/chat/completions', ':authority': 'api.example.com', 'content-type': 'application/json', 'x-request-id': `r-${i}`, 'user-agent': 'bench' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'Summarise the following text in one line please.' }] }),
  },
  response: { headers: { ':status': '200', 'content-type': 'text/event-stream' }, body: sseBody },
  properties: { route_name: 'model-api-openai-0', cluster_name: 'outbound|443||api.openai.internal', 'request.total_size': 300, 'response.total_size': 8000 },
});

async function makeHost(wasm: string): Promise<{ host: WasmHost; vm: PluginVm; calls: () => number }> {
  let calls = 0;
  const host = new WasmHost({ clock: 'manual', logLevel: 'warn', nodeMetadata: { POD_NAME: 'bench-0' }, httpCallHandler: () => { calls++; return { status: 200 }; } });
  const vm = await host.loadPlugin({ wasm, configuration: CONFIG });
  return { host, vm, calls: () => calls };
}

/** Time of `n` exchanges, ms. */
async function timeRun(host: WasmHost, n: number, offset: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await host.runStream(exchange(offset + i));
  await host.idle();
  return performance.now() - t0;
}

async function main(): Promise<void> {
  const size = statSync(PUSHER_WASM_PATH).size;
  console.log(`wasm size: ${size} bytes (${(size / 1024).toFixed(1)} KiB; target < 200 KiB: ${size < 200 * 1024 ? 'met' : 'MISSED'})`);

  // 1. Per-request cost, interleaved rounds so both plugins see the same machine noise.
  const pusher = await makeHost(PUSHER_WASM_PATH);
  const noop = await makeHost(NOOP_WASM);
  const ROUNDS = 8;
  const PER_ROUND = 500;
  await timeRun(pusher.host, 300, 0);
  await timeRun(noop.host, 300, 0);
  let tp = 0;
  let tn = 0;
  const deadline = Date.now() + 90_000;
  let rounds = 0;
  for (let r = 0; r < ROUNDS && Date.now() < deadline; r++, rounds++) {
    tn += await timeRun(noop.host, PER_ROUND, r * PER_ROUND);
    tp += await timeRun(pusher.host, PER_ROUND, r * PER_ROUND);
    pusher.host.advance(1000);
  }
  const n = rounds * PER_ROUND;
  const perP = (tp / n) * 1000;
  const perN = (tn / n) * 1000;
  console.log(`requests per plugin: ${n} (streamed SSE answer in ${sseBody.length} chunks, JSON request body)`);
  console.log(`host + no-op plugin:       ${perN.toFixed(1)} µs/request`);
  console.log(`host + db-log-pusher:      ${perP.toFixed(1)} µs/request`);
  console.log(`plugin cost over no-op:    ${(perP - perN).toFixed(1)} µs/request; ratio pusher/no-op ${(perP / perN).toFixed(2)}x`);
  await pusher.host.close();
  await noop.host.close();

  // 2. Collector calls per 1000 requests at default settings, steady traffic on the manual clock.
  for (const rps of [50, 100, 200, 1000]) {
    const h = await makeHost(PUSHER_WASM_PATH);
    const total = rps * 30;
    const step = 1000 / rps;
    for (let i = 0; i < total; i++) {
      await h.host.runStream(exchange(i));
      h.host.advance(step);
    }
    await h.host.idle();
    h.host.advance(2000);
    await h.host.idle();
    const sent = h.vm.metricsSnapshot()['db_log_pusher.records_sent']?.value ?? 0;
    const per1000 = (h.calls() / total) * 1000;
    console.log(`steady ${String(rps).padStart(4)} req/s for 30 s: ${h.calls()} collector calls for ${total} requests = ${per1000.toFixed(1)} per 1000 (reference plugin: 1000; target <= 10${per1000 <= 10 ? ', met' : ''}); records delivered ${sent}/${total}`);
    await h.host.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
