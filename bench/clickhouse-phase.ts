// The ClickHouse phase of bench/collector.bench.ts (alone: BENCH_ONLY=clickhouse). On a private
// clickhouse-server (the tests' helper: free ports, own data dir), in one run:
//   1. the client's limit: the same rows as ONE `INSERT … FORMAT JSONEachRow` through
//      @clickhouse/client, into a table of the collector's shape;
//   2. batched NDJSON ingest (1000 records/request, 4 connections) through the built collector.
// Rates are persisted rows/s; the target is 2 ≥ 0.8 × 1.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@clickhouse/client';
import { Pool } from 'undici';
import { FIELDS } from '@db-log-pusher/schema';
import { normalizeRecord } from '../packages/collector/src/ingest/normalize.js';
import { rowObjects } from '../packages/collector/src/store/clickhouse/rows.js';
import { clickhouseCommand, startClickhouse } from '../packages/collector/test/clickhouse-helpers.js';

const RECORDS = Number(process.env.BENCH_CH_RECORDS ?? 200_000);
const BATCH = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function clickhousePhase(record: (i: number) => Record<string, unknown>): Promise<void> {
  if (!clickhouseCommand()) {
    console.log('ClickHouse phase skipped: no clickhouse-server binary (TEST_CLICKHOUSE_BIN)');
    return;
  }
  const server = await startClickhouse();
  const dataDir = mkdtempSync(join(tmpdir(), 'collector-bench-ch-'));
  const client = createClient({ url: `http://127.0.0.1:${server.httpPort}`, database: 'bench', request_timeout: 300_000 });
  let child: ReturnType<typeof spawn> | undefined;
  try {
    console.log(`ClickHouse ${(await server.sql('SELECT version()')).trim()} (private server)`);
    const cli = fileURLToPath(new URL('../packages/collector/dist/cli.js', import.meta.url));
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first`);
    child = spawn(process.execPath, [cli], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info', DATABASE_URL: `clickhouse://default@127.0.0.1:${server.httpPort}/bench`, MAX_BATCH_ROWS: '10000', FLUSH_SIZE: '5000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
    let url = '';
    for (const t0 = Date.now(); !url; await sleep(50)) {
      url = /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1] ?? '';
      if (!url && (Date.now() - t0 > 30_000 || child.exitCode !== null)) throw new Error(`collector did not start: ${out}`);
    }
    const count = async (table: string) => Number((await server.sql(`SELECT count() FROM bench.${table}`)).trim());
    for (let t0 = Date.now(); (await server.sql("SELECT count() FROM system.tables WHERE database = 'bench' AND name = 'access_logs'")).trim() !== '1'; await sleep(100)) {
      if (Date.now() - t0 > 30_000) throw new Error('the collector did not create its table');
    }

    // --- 1. one INSERT of the same rows from the client ------------------------------------------
    await server.sql('CREATE TABLE bench.baseline AS bench.access_logs');
    const type = (await server.sql("SELECT type FROM system.columns WHERE database = 'bench' AND table = 'access_logs' AND name = 'start_time'")).trim();
    const kind = /Int/.test(type) ? 'epoch-ms' : 'datetime64';
    const rows = Array.from({ length: RECORDS }, (_, i) => normalizeRecord({ ...record(i), request_id: `base-${i}` }, 'bench'));
    const values = rowObjects(rows, FIELDS.map((_, i) => i), kind, 'baseline', rows.map((_, i) => i));
    const t1 = performance.now();
    await client.insert({ table: 'baseline', values, format: 'JSONEachRow' });
    const baseRate = RECORDS / ((performance.now() - t1) / 1000);
    console.log(`ClickHouse client limit (one INSERT … FORMAT JSONEachRow of ${fmt(RECORDS)} rows via @clickhouse/client): ${fmt(baseRate)} rows/s (${fmt(await count('baseline'))} stored)`);

    // --- 2. batched NDJSON through the collector -----------------------------------------------
    const lines = Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ ...record(i), request_id: `ch-${i}` }));
    const pool = new Pool(url, { connections: 4, pipelining: 1 });
    const t2 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < RECORDS) {
        const from = next;
        next += BATCH;
        const r = await pool.request({ path: '/ingest', method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: lines.slice(from, from + BATCH).join('\n') });
        await r.body.text();
        if (r.statusCode !== 200) throw new Error(`ingest answered ${r.statusCode}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    const sentSecs = (performance.now() - t2) / 1000;
    while ((await count('access_logs')) < RECORDS && performance.now() - t2 < 120_000) await sleep(20);
    const secs = (performance.now() - t2) / 1000;
    const stored = await count('access_logs');
    const rate = stored / secs;
    await pool.close();
    console.log(`ClickHouse batched NDJSON ingest (1000 records/request): ${fmt(rate)} persisted records/s (${fmt(stored)} of ${fmt(RECORDS)}; sending took ${sentSecs.toFixed(1)} s, all persisted after ${secs.toFixed(1)} s)`);
    console.log(`ClickHouse NDJSON / client limit: ${(rate / baseRate).toFixed(2)} (target >= 0.80)`);
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    await client.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
