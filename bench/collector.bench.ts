// Collector throughput into MariaDB with the seed's table, measured side by side in one run:
//   1. the database's own limit: the same rows as 1000-row multi-row INSERTs straight through mysql2;
//   2. batched NDJSON ingest through a real collector child process;
//   3. one JSON object per request (how the reference plugin posts), through the same collector,
//      from wrk when Debian's wrk is installed (BENCH_GENERATOR=wrk|node), else from Node.
// Rates are persisted rows per second (from the first request until the last row is in the table);
// each phase starts from an empty table.
// It runs the built collector (packages/collector/dist), as `npm start` does; `npm run bench` builds first.
// Needs MariaDB/MySQL: BENCH_MYSQL_URL or TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { Pool } from 'undici';
import { SEED_FIELDS, SEED_TABLE_SQL_PATH } from '@db-log-pusher/schema';
import { runKeepAliveLoad } from './keepalive-load.js';
import { runWrkLoad, wrkAvailable } from './wrk-load.js';
import { clickhousePhase } from './clickhouse-phase.js';

const BASE_URL = process.env.BENCH_MYSQL_URL ?? process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
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

const u = new URL(BASE_URL);
const server = { host: u.hostname || '127.0.0.1', port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) };
const dbName = `dblog_bench_${randomBytes(4).toString('hex')}`;

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
 * Waits (at most 60 s) until the machine has been nearly idle for a second: the database keeps
 * purging and flushing pages after a heavy phase, and that work would count against the next.
 */
async function settle(): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    const a = cpuTimes();
    await sleep(1000);
    const b = cpuTimes();
    const busy = (b.busy - a.busy) / Math.max(1, b.total - a.total);
    if (busy < 0.1 || Date.now() - t0 > 60_000) {
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
const speedLine = () => `host speed: one JSON.parse of the record takes ${hostSpeed().toFixed(1)} µs on one thread (lower is faster)`;

async function main() {
  // BENCH_ONLY=clickhouse: just the ClickHouse phase (its own server, its own client limit).
  if (process.env.BENCH_ONLY === 'clickhouse') return clickhousePhase(record);
  // The machine is shared: say how busy it was, since every figure below depends on it.
  console.log(`load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (2 cores)`);
  console.log(speedLine());
  const admin = await mysql.createConnection({ ...server, multipleStatements: true });
  await admin.query(`CREATE DATABASE ${dbName} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`USE ${dbName}`);
  const seedSql = readFileSync(SEED_TABLE_SQL_PATH, 'utf8').split('\n').filter((l) => !/^\s*(CREATE DATABASE|USE)\b/i.test(l)).join('\n');
  await admin.query(seedSql);
  const dataDir = mkdtempSync(join(tmpdir(), 'collector-bench-'));
  let child: ReturnType<typeof spawn> | undefined;
  try {
    // --- 1. the database's own limit --------------------------------------------------------
    const cols = SEED_FIELDS.map((f) => f.name);
    const pool = Array.from({ length: 20 }, (_, k) => record(k));
    const toRow = (r: Record<string, unknown>) => cols.map((c) => (c === 'start_time' ? String(r[c]).slice(0, 19).replace('T', ' ') : r[c] ?? null));
    const conn = await mysql.createConnection({ ...server, database: dbName, timezone: 'Z' });
    let dbRows = 0;
    let n = 0;
    await settle();
    const t0 = performance.now();
    while (performance.now() - t0 < DB_SECONDS * 1000) {
      const rows = Array.from({ length: 1000 }, () => toRow({ ...pool[n % 20], request_id: `db-${n++}` }));
      await conn.query(`INSERT INTO access_logs (${cols.join(',')}) VALUES ?`, [rows]);
      dbRows += rows.length;
    }
    const dbRate = dbRows / ((performance.now() - t0) / 1000);
    await conn.end();
    console.log(`database limit (1000-row INSERTs via mysql2): ${fmt(dbRate)} rows/s (${fmt(dbRows)} rows)`);

    // --- the collector ------------------------------------------------------------------------
    const cred = server.password ? `${server.user}:${server.password}` : server.user;
    const cli = new URL('../packages/collector/dist/cli.js', import.meta.url).pathname;
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (npm run build, or npm run bench, which builds)`);
    child = spawn(process.execPath, [cli], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', MYSQL_DSN: `${cred}@tcp(${server.host}:${server.port})/${dbName}?charset=utf8mb4&parseTime=True&loc=Local` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    const deadline = Date.now() + 30_000;
    let url = '';
    while (!url) {
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      if (m) url = m[1];
      else if (Date.now() > deadline || child.exitCode !== null) throw new Error(`collector did not start: ${out}`);
      else await sleep(50);
    }
    const pid = child.pid!;
    const peakRss = () => {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    };
    /** CPU seconds (user + system, all threads) the collector process has used so far. */
    const clockTicks = 100; // USER_HZ on Linux
    const collectorCpu = () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(f[11]) + Number(f[12])) / clockTicks; // utime, stime
    };
    const counter = await mysql.createConnection({ ...server, database: dbName });
    // Progress by MAX(id) (cheap), then one exact COUNT once the ids say everything is in.
    const maxId = async () => {
      const [r] = await counter.query('SELECT COALESCE(MAX(id), 0) AS m FROM access_logs');
      return Number((r as { m: number }[])[0].m);
    };
    const count = async () => {
      const [r] = await counter.query('SELECT COUNT(*) AS n FROM access_logs WHERE id > ?', [maxIdBefore]);
      return Number((r as { n: number }[])[0].n);
    };
    let maxIdBefore = 0;
    // Every phase starts from an empty table, as the database limit did: a table that already
    // holds the earlier phases' rows makes each index insert dearer and would tilt the comparison.
    const markStart = async () => {
      await counter.query('TRUNCATE TABLE access_logs');
      await settle();
      maxIdBefore = await maxId();
    };

    /** Sends with `send`, then waits until `total` rows are persisted; returns rows/s. */
    async function measure(name: string, total: number, send: (deadline: number) => Promise<number>): Promise<number> {
      await markStart();
      const start = performance.now();
      const deadline = Date.now() + TIME_LIMIT_MS;
      const sent = await send(deadline);
      const sentAt = performance.now();
      while ((await maxId()) - maxIdBefore < sent && Date.now() < deadline + 30_000) await sleep(20);
      const secs = (performance.now() - start) / 1000;
      const persisted = await count();
      const rate = persisted / secs;
      console.log(
        `${name}: ${fmt(rate)} persisted records/s (${fmt(persisted)} of ${fmt(sent)} sent${sent < total ? ', time-bounded' : ''}; sending took ${((sentAt - start) / 1000).toFixed(1)} s, all persisted after ${secs.toFixed(1)} s)`,
      );
      // wrk stops with requests in flight: the collector may have acknowledged (and so persists)
      // up to one per connection more than wrk counted.
      if (persisted < sent) console.log(`  WARNING: ${sent - persisted} acknowledged records not persisted in time`);
      else if (persisted > sent + (GENERATOR === 'wrk' ? SINGLE_CONNECTIONS : 0)) console.log(`  WARNING: ${persisted - sent} more rows than acknowledged records`);
      return rate;
    }

    // Bodies are cut from a template so the load generator spends little CPU of its own.
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

    // --- 2. batched NDJSON ---------------------------------------------------------------------
    const ndPool = new Pool(url, { connections: 4, pipelining: 1 });
    const ndRate = await measure('batched NDJSON ingest (1000 records/request)', NDJSON_RECORDS, async (deadline) => {
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

    // --- 3. one object per request --------------------------------------------------------------
    const singleRates: number[] = [];
    const generatorName = GENERATOR === 'wrk' ? 'wrk' : 'Node generator';
    const how = GENERATOR === 'wrk' ? `wrk for ${SINGLE_SECONDS} s` : generatorName;
    for (let run = 1; run <= SINGLE_RUNS; run++) {
      const cpuBefore = collectorCpu();
      let singleSent = 0;
      let genCpu = 0;
      const name = `one object per request, run ${run} of ${SINGLE_RUNS} (${how}, ${SINGLE_CONNECTIONS} keep-alive connections, one request in flight on each)`;
      singleRates.push(
        await measure(name, GENERATOR === 'wrk' ? Infinity : SINGLE_RECORDS, async (deadline) => {
          const r = await drive(url, `bench-s${run}`, SINGLE_RECORDS, deadline);
          if (r.firstFailure) throw new Error(`ingest answered ${r.firstFailure}`);
          singleSent = r.ok;
          genCpu = r.cpuSeconds;
          return r.ok;
        }),
      );
      const collectorUs = ((collectorCpu() - cpuBefore) * 1e6) / singleSent;
      console.log(`  CPU per record: collector ${collectorUs.toFixed(0)} µs, load generator ${((genCpu * 1e6) / singleSent).toFixed(0)} µs; load average ${loadavg()[0].toFixed(2)}`);
    }
    const sorted = [...singleRates].sort((a, b) => a - b);
    const singleRate = sorted[Math.floor(sorted.length / 2)];
    const rss = peakRss();

    // --- context: the same load generator against a server that only answers 200 --------------
    // On a shared 2-core machine the generator, the collector and MariaDB compete for CPU; this
    // is the ceiling the generator itself reaches here, for reading the figure above.
    const echo = spawn(
      process.execPath,
      ['-e', "require('http').createServer((q,r)=>{q.resume();q.on('end',()=>{const b='{\"status\":\"success\",\"accepted\":1}';r.writeHead(200,{'content-type':'application/json','content-length':b.length});r.end(b)})}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})"],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const echoPort = await new Promise<number>((resolve) => echo.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    const echoLoad = await drive(`http://127.0.0.1:${echoPort}`, 'echo', Math.min(SINGLE_RECORDS, 100_000), Infinity, 5);
    const echoRate = echoLoad.ok / echoLoad.seconds;
    echo.kill();
    console.log(`load generator ceiling (${generatorName}, same requests to a bare node:http server that only answers): ${fmt(echoRate)} requests/s`);
    await counter.end();

    console.log('');
    console.log(`NDJSON / database limit: ${(ndRate / dbRate).toFixed(2)} (target >= 0.80)`);
    console.log(`one-object-per-request (median of ${SINGLE_RUNS}; runs ${singleRates.map(fmt).join(', ')}): ${fmt(singleRate)} records/s (target >= 15,000): ${(singleRate / 15000).toFixed(2)} of target; ${(singleRate / dbRate).toFixed(2)} of the database limit`);
    console.log(`one-object-per-request / load generator ceiling: ${(singleRate / echoRate).toFixed(2)}`);
    console.log(`collector peak RSS: ${(rss / 1024 / 1024).toFixed(0)} MiB`);
    console.log(`load average at end: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(speedLine());

    // --- ClickHouse: its own server, the client's one INSERT against the collector ------------
    if (process.env.BENCH_CLICKHOUSE !== '0') {
      child.kill('SIGTERM'); // the MariaDB collector would take CPU from this phase
      await new Promise((r) => child!.once('exit', r));
      console.log('');
      await clickhousePhase(record);
    }
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await admin.query(`DROP DATABASE IF EXISTS ${dbName}`).catch(() => undefined);
    await admin.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
