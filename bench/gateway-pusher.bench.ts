// db-log-pusher's cost per request through db-log-gateway on real sockets: three gateways (no
// plugin, a no-op plugin, db-log-pusher), each its own process, loaded in turn by wrk (16
// connections) in ABBA order, against a local upstream answering a small OpenAI chat completion
// and a sink answering the plugin's batches. Added cost = 1/rps(plugin) - 1/rps(none); the
// figure of merit is pusher's added cost over the no-op's, with --concurrency 1 and the default.
// Then one CPU profile per exchange (plain GET, AI JSON, AI SSE) of the pusher gateway: the time
// inside the .wasm per request. Writes its section of docs/benchmarks.md.
//   node scripts/run-bench.mjs gateway-pusher
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PUSHER_WASM_PATH } from '@db-log-pusher/pusher';
import { writeBenchSection } from './bench-doc.js';
import { wrkAvailable } from './wrk-load.js';

const CLI = fileURLToPath(new URL('../packages/wasm-host/dist/cli.js', import.meta.url));
const NOOP_WASM = fileURLToPath(new URL('../packages/pusher/build/fixtures/noop.wasm', import.meta.url));
const LUA = fileURLToPath(new URL('./wrk-gateway.lua', import.meta.url));
const FQDN = 'log-collector.bench.svc.cluster.local';
const CONNECTIONS = 16;
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 3);
const PAIRS = 2; // each pair is A B C C B A
const PROFILE_S = 6;

const CHAT = (stream: boolean) => JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'Say hello in one word.' }] });
const JSON_ANSWER = Buffer.from(JSON.stringify({
  id: 'chatcmpl-1', object: 'chat.completion', created: 1700000000, model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello!' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14 },
}));
const SSE_ANSWER = Buffer.from([
  ...['Hel', 'lo', '!'].map((c) => `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: c } }] })}\n\n`),
  `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'gpt-4o-mini', choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } })}\n\n`,
  'data: [DONE]\n\n',
].join(''));

/** The upstream (chat completions, JSON or SSE by the request's "stream") and the plugin's sink. */
function startServer(handler: (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts), res));
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server })));
}

let sinkRecords = 0;
const upstreamHandler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void => {
  if (req.url?.startsWith('/v1/chat/completions')) {
    const sse = body.includes('"stream":true');
    const b = sse ? SSE_ANSWER : JSON_ANSWER;
    res.writeHead(200, { 'content-type': sse ? 'text/event-stream' : 'application/json', 'content-length': b.length });
    res.end(b);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 3 });
  res.end('ok\n');
};
const sinkHandler = (_req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void => {
  for (const c of body) if (c === 10) sinkRecords++;
  res.writeHead(200, { 'content-length': 0 });
  res.end();
};

interface Gw { url: string; child: ChildProcess; stop(): Promise<void> }

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const p = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return p;
}

async function startGw(plugin: 'none' | 'noop' | 'pusher', upstream: string, sink: string, concurrency: number | undefined, profileDir?: string): Promise<Gw> {
  const port = await freePort();
  const args = [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), CLI, '--listen', `127.0.0.1:${port}`, '--upstream', upstream, '--watchdog-ms', '0', '--log-level', 'warn'];
  if (concurrency !== undefined) args.push('--concurrency', String(concurrency));
  if (plugin === 'noop') args.push('--plugin', NOOP_WASM);
  if (plugin === 'pusher') {
    args.push('--plugin', PUSHER_WASM_PATH, '--config', JSON.stringify({ collector_service_name: FQDN, collector_port: 80, collector_path: '/ingest' }));
    args.push('--cluster', `outbound|80||${FQDN}=${sink}`, '--node-meta', 'POD_NAME=bench-gw-0', '--route-name', 'model-api-openai-0');
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((r) => http.get(`${url}/`, (res) => { res.resume(); r(true); }).on('error', () => r(false)));
    if (up) break;
    if (i > 200 || child.exitCode !== null) throw new Error(`gateway (${plugin}) did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const stop = () => new Promise<void>((r) => { child.once('exit', () => r()); child.kill('SIGTERM'); });
  return { url, child, stop };
}

interface Load { method: 'GET' | 'POST'; path: string; body: string }
const AI_JSON: Load = { method: 'POST', path: '/v1/chat/completions', body: CHAT(false) };
const AI_SSE: Load = { method: 'POST', path: '/v1/chat/completions', body: CHAT(true) };
const PLAIN: Load = { method: 'GET', path: '/plain', body: '' };

function wrk(url: string, load: Load, seconds: number): Promise<{ requests: number; rps: number; failures: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--timeout', '30s', '-s', LUA, `${url}${load.path}`], {
      env: { ...process.env, REQ_METHOD: load.method, REQ_PATH: load.path, REQ_BODY: load.body },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /^WRK_RESULT (\{.*\})$/m.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk exited with ${code}: ${out.trim()}`));
      const r = JSON.parse(m[1]) as { requests: number; non2xx: number; socketErrors: number; durationUs: number };
      resolve({ requests: r.requests, rps: r.requests / (r.durationUs / 1e6), failures: r.non2xx + r.socketErrors });
    });
  });
}

const NAMES = ['none', 'noop', 'pusher'] as const;
type Name = (typeof NAMES)[number];

/** CPU seconds (user + system) a process has used so far, from /proc (USER_HZ ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

interface Side { rps: Record<Name, number>; cpuUs: Record<Name, number>; failures: number }

async function sideBySide(upstream: string, sink: string, concurrency: number | undefined): Promise<Side> {
  const gws = {} as Record<Name, Gw>;
  for (const n of NAMES) gws[n] = await startGw(n, upstream, sink, concurrency);
  for (const n of NAMES) await wrk(gws[n].url, AI_JSON, 1); // warm-up: JIT, connections
  const req = { none: 0, noop: 0, pusher: 0 };
  const secs = { none: 0, noop: 0, pusher: 0 };
  const cpu = { none: 0, noop: 0, pusher: 0 };
  let failures = 0;
  for (let p = 0; p < PAIRS; p++) {
    for (const n of [...NAMES, ...[...NAMES].reverse()]) {
      const c0 = cpuSeconds(gws[n].child.pid!);
      const r = await wrk(gws[n].url, AI_JSON, ROUND_S);
      cpu[n] += cpuSeconds(gws[n].child.pid!) - c0;
      req[n] += r.requests;
      secs[n] += r.requests / r.rps;
      failures += r.failures;
    }
  }
  for (const n of NAMES) await gws[n].stop();
  const per = (f: (n: Name) => number) => Object.fromEntries(NAMES.map((n) => [n, f(n)])) as Record<Name, number>;
  return { rps: per((n) => req[n] / secs[n]), cpuUs: per((n) => (cpu[n] * 1e6) / req[n]), failures };
}

interface ProfileNode { id: number; callFrame: { functionName: string; url: string }; hitCount?: number; children?: number[] }
interface Profile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[]; timeDeltas: number[] }

/** Self time (µs) by function over the whole profile, and the part inside wasm. */
function selfTimes(p: Profile): { total: number; wasm: number; byFn: Map<string, number> } {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i + 1] ?? 0));
  let total = 0;
  let wasm = 0;
  const byFn = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const isWasm = n.callFrame.url.startsWith('wasm://');
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    total += us;
    if (isWasm) wasm += us;
    const key = isWasm ? `[wasm] ${name}` : `${name} ${n.callFrame.url.replace(/^.*\/(packages|node_modules)\//, '$1/')}`;
    byFn.set(key, (byFn.get(key) ?? 0) + us);
  }
  return { total, wasm, byFn };
}

/**
 * The sampled profile's share of time inside the .wasm, times the gateway's own CPU per request
 * (/proc): on a loaded machine the samples also count time the process waited for a core.
 */
async function profileOne(load: Load, upstream: string, sink: string): Promise<{ wasmUs: number; cpuUs: number; top: Array<[string, number]> }> {
  const dir = mkdtempSync(join(tmpdir(), 'gw-prof-'));
  const gw = await startGw('pusher', upstream, sink, 1, dir);
  await wrk(gw.url, load, 1);
  const c0 = cpuSeconds(gw.child.pid!);
  const r = await wrk(gw.url, load, PROFILE_S);
  const cpuUs = ((cpuSeconds(gw.child.pid!) - c0) * 1e6) / r.requests;
  await gw.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no CPU profile written');
  const prof = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
  rmSync(dir, { recursive: true, force: true });
  const s = selfTimes(prof);
  const top = [...s.byFn].sort((a, b) => b[1] - a[1]).slice(0, 15).map(([k, v]) => [k, (v / s.total) * cpuUs] as [string, number]);
  return { wasmUs: (s.wasm / s.total) * cpuUs, cpuUs, top };
}

async function main(): Promise<void> {
  if (!wrkAvailable()) {
    console.log('wrk is not installed (Debian: apt-get install wrk): this bench needs it; nothing measured.');
    return;
  }
  const up = await startServer(upstreamHandler);
  const sink = await startServer(sinkHandler);
  const lines: string[] = [];
  const say = (l: string) => { console.log(l); lines.push(l); };
  say(`wrk, ${CONNECTIONS} connections, ${PAIRS * 2} rounds of ${ROUND_S} s per gateway (ABBA order), POST /v1/chat/completions answered with a small JSON chat completion`);
  say('');
  say('Added cost is measured two ways: from throughput (1/req/s over the gateway without a plugin) and from the');
  say("gateway process's own CPU time per request (/proc, user + system), which other load on the machine disturbs less.");
  say('');
  say('| --concurrency | req/s: none / no-op / pusher | added µs/req from req/s: no-op, pusher (ratio) | gateway CPU µs/req: none / no-op / pusher | added CPU µs/req: no-op, pusher (ratio, target ≤ 2×) |');
  say('|---|---|---|---|---|');
  for (const c of [1, undefined]) {
    const { rps, cpuUs, failures } = await sideBySide(up.url, sink.url, c);
    const addNoop = 1e6 / rps.noop - 1e6 / rps.none;
    const addPusher = 1e6 / rps.pusher - 1e6 / rps.none;
    const cpuNoop = cpuUs.noop - cpuUs.none;
    const cpuPusher = cpuUs.pusher - cpuUs.none;
    const f0 = (x: number) => x.toFixed(0);
    const f1 = (x: number) => x.toFixed(1);
    say(`| ${c ?? '2 (default)'} | ${f0(rps.none)} / ${f0(rps.noop)} / ${f0(rps.pusher)} | ${f1(addNoop)}, ${f1(addPusher)} (${(addPusher / addNoop).toFixed(2)}×) | ${f1(cpuUs.none)} / ${f1(cpuUs.noop)} / ${f1(cpuUs.pusher)} | ${f1(cpuNoop)}, ${f1(cpuPusher)} (${(cpuPusher / cpuNoop).toFixed(2)}×)${failures ? `; ${failures} failed requests` : ''} |`);
  }
  say('');
  say(`CPU profile of the db-log-pusher gateway (--concurrency 1, wrk ${PROFILE_S} s per exchange): the gateway's CPU per request (/proc, with the profiler on),`);
  say('and the share of the samples inside the .wasm (wasm frames, self time) applied to it:');
  say('');
  say('| exchange | gateway CPU µs/req | inside the .wasm µs/req |');
  say('|---|---|---|');
  const tops: string[] = [];
  for (const [name, load] of [['plain GET', PLAIN], ['AI, JSON answer', AI_JSON], ['AI, SSE answer', AI_SSE]] as const) {
    const p = await profileOne(load, up.url, sink.url);
    say(`| ${name} | ${p.cpuUs.toFixed(1)} | ${p.wasmUs.toFixed(1)} (${((p.wasmUs / p.cpuUs) * 100).toFixed(1)} %) |`);
    if (name === 'AI, JSON answer') for (const [k, v] of p.top) tops.push(`| ${k.replace(/\|/g, '\\|')} | ${v.toFixed(2)} |`);
  }
  say('');
  say('Largest self times, AI JSON exchange (share of the samples applied to the CPU per request, µs):');
  say('');
  say('| function | µs/req |');
  say('|---|---|');
  for (const t of tops) say(t);
  say('');
  say(`Records the sink received: ${sinkRecords}.`);
  writeBenchSection('gateway-pusher', '## db-log-pusher through db-log-gateway', lines.join('\n'));
  up.server.closeAllConnections();
  up.server.close();
  sink.server.closeAllConnections();
  sink.server.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
