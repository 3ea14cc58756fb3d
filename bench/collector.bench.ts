// Collector throughput into each database, measured side by side in one run, per database:
//   1. the database's own limit: the same rows loaded by its fastest bulk path straight from its
//      client (MariaDB: 1000-row multi-row INSERTs through mysql2, into the seed's table;
//      PostgreSQL: 1000-row COPYs through pg-copy-streams, into the table the collector creates);
//   2. batched NDJSON ingest through a real collector child process;
//   3. one JSON object per request (how the reference plugin posts), through the same collector,
//      from wrk when Debian's wrk is installed (BENCH_GENERATOR=wrk|node), else from Node.
// Rates are persisted rows per second (from the first request until the last row is in the table);
// each phase starts from an empty table. The figures go to docs/benchmarks.md as well.
// It runs the built collector (packages/collector/dist), as `npm start` does; `npm run bench` builds first.
// MariaDB: BENCH_MYSQL_URL or TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306);
// PostgreSQL: BENCH_POSTGRES_URL or TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres);
// ClickHouse: a private clickhouse-server started by the bench (bench/clickhouse-target.ts); its limit
// is one INSERT … FORMAT JSONEachRow of the same rows through @clickhouse/client.
// BENCH_STORES=mariadb,postgres,clickhouse picks the databases (default all three).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { runKeepAliveLoad } from './keepalive-load.js';
import { runWrkLoad, wrkAvailable } from './wrk-load.js';
import { mysqlTarget, postgresTarget, type BenchTarget } from './collector-targets.js';
import { clickhouseTarget } from './clickhouse-target.js';
import { writeBenchmarksDoc, type StoreFigures } from './collector-report.js';

const MYSQL_URL = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const STORES = (process.env.BENCH_STORES ?? 'mariadb,postgres,clickhouse').split(',').map((x) => x.trim().toLowerCase());
const DB_SECONDS = Number(process.env.BENCH_DB_SECONDS ?? 8);
const NDJSON_RECORDS = Number(process.env.BENCH_NDJSON_RECORDS ?? 200_000);
const SINGLE_RECORDS = Number(process.env.BENCH_SINGLE_RECORDS ?? 200_000);
// The shared machine's speed drifts by a third from one minute to the next: the one-object
// phase runs several times and the figure is the median.
const SINGLE_RUNS = Math.max(1, Number(process.env.BENCH_SINGLE_RUNS ?? 3));
const NDJSON_BATCH = 1000;
// Like a gateway fleet's connection pools: many keep-alive connections, one request in flight each.
const SINGLE_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 256);
// Debian's wrk when installed (less CPU taken from the collector and MariaDB), else the Node
// generator in keepalive-load.ts. wrk runs for BENCH_SINGLE_SECONDS, the Node one sends
// BENCH_SINGLE_RECORDS.
const GENERATOR = process.env.BENCH_GENERATOR ?? (wrkAvailable() ? 'wrk' : 'node');
if (GENERATOR !== 'wrk' && GENERATOR !== 'node') throw new Error(`BENCH_GENERATOR must be wrk or node, not ${GENERATOR}`);
const SINGLE_SECONDS = Number(process.env.BENCH_SINGLE_SECONDS ?? 15);
const TIME_LIMIT_MS = 60_000;
const SETTLE_MAX_MS = Number(process.env.BENCH_SETTLE_SECONDS ?? 20) * 1000;


/** A record shaped like what the plugin sends for an AI call: every seed field set. */
function record(i: number): Record<string, unknown> {
  return {
    start_time: new Date(Date.UTC(2025, 0, 1) + i).toISOString(),
    trace_id: `4bf92f3577b34da6a3ce929d0e0e${(i % 10000).toString(16).padStart(4, '0')}`,
    authority: 'api.example.com',
    method: 'POST',
    path: '/v1/chat/completions',
    protocol: 'HTTP/1.1',
    request_id: `bench-${i}`,
    user_agent: 'OpenAI/Python 1.40.0',
    x_forwarded_for: '10.0.0.12',
    response_code: 200,
    response_flags: '-',
    response_code_details: 'via_upstream',
    bytes_received: 512 + (i % 100),
    bytes_sent: 2048 + (i % 1000),
    duration: 800 + (i % 500),
    upstream_cluster: 'outbound|443||llm.dns',
    upstream_host: '10.1.2.3:443',
    upstream_service_time: '790',
    upstream_transport_failure_reason: '',
    upstream_local_address: '10.0.0.5:51234',
    downstream_local_address: '10.0.0.5:80',
    downstream_remote_address: '10.0.0.12:40000',
    route_name: 'model-api-qwen-0',
    requested_server_name: '',
    istio_policy_status: '',
    ai_log: JSON.stringify({ model: 'qwen-max', input_token: 120, output_token: 340, llm_service_duration: 790, chat_id: `c-${i}` }),
    instance_id: 'higress-gateway-7d9f8-abcde',
    api: 'qwen',
    model: 'qwen-max',
    consumer: `consumer-${i % 20}`,
    route: 'model-api-qwen-0',
    service: 'llm.default.svc.cluster.local',
    mcp_server: null,
    mcp_tool: null,
    input_tokens: 120,
    output_tokens: 340,
    total_tokens: 460,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total }; // minus idle and iowait
}

/**
 * Waits (at most BENCH_SETTLE_SECONDS, 20 s: the shared machine is rarely idle) until the machine has been nearly idle for a second: the database keeps
 * purging and flushing pages after a heavy phase, and that work would count against the next.
 */
async function settle(): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const b = cpuTimes();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.1 || Date.now() - t0 > SETTLE_MAX_MS) {
      if (Date.now() - t0 > 1500) console.log(`  (waited ${((Date.now() - t0) / 1000).toFixed(0)} s for the machine to settle; ${(busy * 100).toFixed(0)}% busy)`);
      return;
    }
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * How fast the shared host runs right now: microseconds for one JSON.parse of the bench record on
 * one thread. Every figure below scales with it, and it moves by a factor of two between days.
 */
function hostSpeed(): number {
  const text = JSON.stringify(record(1));
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 500) {
    for (let i = 0; i < 1000; i++) JSON.parse(text);
    n += 1000;
  }
  return ((performance.now() - t0) * 1000) / n;
}
const speedLine = (us: number) => `host speed: one JSON.parse of the record takes ${us.toFixed(1)} µs on one thread (lower is faster)`;


/** Bodies are cut from a template so the load generator spends little CPU of its own. */
const template = JSON.stringify({ ...record(0), request_id: '\u0000' }).split('\\u0000');

/** One object per request to `base` with the chosen generator; ids are `${tag}-${n}`. */
async function drive(base: string, tag: string, total: number, deadline = Infinity, seconds = SINGLE_SECONDS) {
  const load = { url: base, path: '/ingest', contentType: 'application/json', connections: SINGLE_CONNECTIONS };
  if (GENERATOR === 'wrk') return runWrkLoad({ ...load, seconds, prefix: template[0], suffix: template[1], tag });
  const before = process.cpuUsage();
  const r = await runKeepAliveLoad({ ...load, total, deadline, body: (i) => `${template[0]}${tag}-${i}${template[1]}` });
  const cpu = process.cpuUsage(before);
  return { ...r, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}

/** The collector (built CLI) as a child process on `env`'s database; resolves once it listens. */
async function startCollector(env: Record<string, string>, dataDir: string) {
  const cli = new URL('../packages/collector/dist/cli.js', import.meta.url).pathname;
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build, or npm run bench, which builds)`);
  const child = spawn(process.execPath, [cli], { env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
    if (m) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`collector did not start: ${out}`);
    await sleep(50);
  }
  const url = /"url":"(http:\/\/[^"]+)"/.exec(out)![1];
  const pid = child.pid!;
  return {
    url,
    /** Peak resident memory so far. */
    peakRss: () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024,
    /** CPU seconds (user + system, all threads) used so far; USER_HZ is 100 on Linux. */
    cpu: () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** Every phase against one database; returns its figures. */
async function benchStore(target: BenchTarget): Promise<StoreFigures> {
  console.log(`\n--- ${target.name} (${target.version}) ---`);
  await settle();
  const dbRate = await target.limit(DB_SECONDS, (n) => ({ ...record(n % 20), request_id: `db-${n}` }));
  console.log(`${target.name} limit (${target.bulkPath}): ${fmt(dbRate)} rows/s`);
  const dataDir = mkdtempSync(join(tmpdir(), 'collector-bench-'));
  const collector = await startCollector(target.collectorEnv, dataDir);
  try {
    let maxIdBefore = 0;
    /** Sends with `send`, then waits until every sent row is persisted; returns rows/s. */
    async function measure(name: string, total: number, send: (deadline: number) => Promise<number>): Promise<number> {
      // Every phase starts from an empty table, as the limit did: a table that already holds the
      // earlier phases' rows makes each index insert dearer and would tilt the comparison.
      await target.truncate();
      await settle();
      maxIdBefore = await target.maxId();
      const start = performance.now();
      const deadline = Date.now() + TIME_LIMIT_MS;
      const sent = await send(deadline);
      const sentAt = performance.now();
      // Progress by MAX(id) (cheap), then one exact COUNT once the ids say everything is in.
      while ((await target.maxId()) - maxIdBefore < sent && Date.now() < deadline + 30_000) await sleep(20);
      const secs = (performance.now() - start) / 1000;
      const persisted = await target.countAbove(maxIdBefore);
      const rate = persisted / secs;
      console.log(`${name}: ${fmt(rate)} persisted records/s (${fmt(persisted)} of ${fmt(sent)} sent${sent < total ? ', time-bounded' : ''}; sending took ${((sentAt - start) / 1000).toFixed(1)} s, all persisted after ${secs.toFixed(1)} s)`);
      // wrk stops with requests in flight: the collector may have acknowledged (and so persists)
      // up to one per connection more than wrk counted.
      if (persisted < sent) console.log(`  WARNING: ${sent - persisted} acknowledged records not persisted in time`);
      else if (persisted > sent + (GENERATOR === 'wrk' ? SINGLE_CONNECTIONS : 0)) console.log(`  WARNING: ${persisted - sent} more rows than acknowledged records`);
      return rate;
    }

    const ndPool = new Pool(collector.url, { connections: 4, pipelining: 1 });
    const ndRate = await measure(`batched NDJSON ingest (${NDJSON_BATCH} records/request)`, NDJSON_RECORDS, async (deadline) => {
      let next = 0;
      let sent = 0;
      const worker = async () => {
        while (next < NDJSON_RECORDS && Date.now() < deadline) {
          const from = next;
          next += NDJSON_BATCH;
          const lines: string[] = [];
          for (let i = from; i < Math.min(from + NDJSON_BATCH, NDJSON_RECORDS); i++) lines.push(`${template[0]}bench-${i}${template[1]}`);
          const r = await ndPool.request({ path: '/ingest', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.join('\n') });
          await r.body.text();
          if (r.statusCode !== 200) throw new Error(`ingest answered ${r.statusCode}`);
          sent += lines.length;
        }
      };
      await Promise.all([worker(), worker(), worker(), worker()]);
      return sent;
    });
    await ndPool.close();

    const singleRates: number[] = [];
    const cpuPerRecord: number[] = [];
    const how = GENERATOR === 'wrk' ? `wrk for ${SINGLE_SECONDS} s` : 'Node generator';
    for (let run = 1; run <= SINGLE_RUNS; run++) {
      const cpuBefore = collector.cpu();
      let singleSent = 0;
      let genCpu = 0;
      const name = `one object per request, run ${run} of ${SINGLE_RUNS} (${how}, ${SINGLE_CONNECTIONS} keep-alive connections, one request in flight on each)`;
      singleRates.push(
        await measure(name, GENERATOR === 'wrk' ? Infinity : SINGLE_RECORDS, async (deadline) => {
          const r = await drive(collector.url, `bench-s${run}`, SINGLE_RECORDS, deadline);
          if (r.firstFailure) throw new Error(`ingest answered ${r.firstFailure}`);
          singleSent = r.ok;
          genCpu = r.cpuSeconds;
          return r.ok;
        }),
      );
      const collectorUs = ((collector.cpu() - cpuBefore) * 1e6) / singleSent;
      cpuPerRecord.push(collectorUs);
      console.log(`  CPU per record: collector ${collectorUs.toFixed(0)} µs, load generator ${((genCpu * 1e6) / singleSent).toFixed(0)} µs; load average ${loadavg()[0].toFixed(2)}`);
    }
    const sorted = [...singleRates].sort((a, b) => a - b);
    const singleRate = sorted[Math.floor(sorted.length / 2)];
    console.log(`${target.name}: NDJSON / limit ${(ndRate / dbRate).toFixed(2)} (target >= 0.80); one object per request (median of ${SINGLE_RUNS}) ${fmt(singleRate)} records/s, ${(singleRate / dbRate).toFixed(2)} of the limit`);
    return { store: target.name, version: target.version, bulkPath: target.bulkPath, limit: dbRate, ndjson: ndRate, singleRuns: singleRates, single: singleRate, cpuPerRecord, peakRss: collector.peakRss() };
  } finally {
    await collector.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The same load generator against a bare node:http server that only answers 200: its ceiling on this machine. */
async function generatorCeiling(): Promise<number> {
  const echo = spawn(
    process.execPath,
    ['-e', "require('http').createServer((q,r)=>{q.resume();q.on('end',()=>{const b='{\"status\":\"success\",\"accepted\":1}';r.writeHead(200,{'content-type':'application/json','content-length':b.length});r.end(b)})}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve) => echo.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
  const r = await drive(`http://127.0.0.1:${port}`, 'echo', Math.min(SINGLE_RECORDS, 100_000), Infinity, 5);
  echo.kill();
  return r.ok / r.seconds;
}

async function main() {
  // The machine is shared: say how busy it was, since every figure below depends on it.
  const loadStart = loadavg();
  const speedStart = hostSpeed();
  console.log(`load average at start: ${loadStart.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(speedLine(speedStart));
  const figures: StoreFigures[] = [];
  for (const [key, make, url] of [['mariadb', mysqlTarget, MYSQL_URL], ['postgres', postgresTarget, POSTGRES_URL], ['clickhouse', clickhouseTarget, '']] as const) {
    if (!STORES.includes(key)) continue;
    const target = await make(url);
    try {
      figures.push(await benchStore(target));
    } finally {
      await target.drop();
    }
  }
  const ceiling = await generatorCeiling();
  const generator = GENERATOR === 'wrk' ? 'wrk' : 'Node generator';
  console.log(`\nload generator ceiling (${generator}, same requests to a bare node:http server that only answers): ${fmt(ceiling)} requests/s`);
  for (const f of figures) {
    console.log(`${f.store}: NDJSON / limit ${(f.ndjson / f.limit).toFixed(2)} (target >= 0.80); one object per request ${(f.single / f.limit).toFixed(2)} of the limit, ${(f.single / ceiling).toFixed(2)} of the generator ceiling; peak RSS ${(f.peakRss / 1024 / 1024).toFixed(0)} MiB`);
  }
  const loadEnd = loadavg();
  const speedEnd = hostSpeed();
  console.log(`load average at end: ${loadEnd.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(speedLine(speedEnd));
  const doc = writeBenchmarksDoc({
    figures, ceiling, generator, loadStart, loadEnd, speedStart, speedEnd,
    settings: { dbSeconds: DB_SECONDS, ndjsonRecords: NDJSON_RECORDS, ndjsonBatch: NDJSON_BATCH, singleRuns: SINGLE_RUNS, connections: SINGLE_CONNECTIONS, singleSeconds: SINGLE_SECONDS, singleRecords: SINGLE_RECORDS },
  });
  console.log(`written: ${doc}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
