// ClickHouse for bench/collector.bench.ts: a private clickhouse-server (the tests' helper: free
// ports, its own config and data dir), the table the collector creates (its DDL, created here so
// the limit loads the same table), and as the limit the same rows as ONE
// `INSERT … FORMAT JSONEachRow` through @clickhouse/client. Rows are counted with count(): the
// table has no increasing id, so "max id" is the row count (every phase starts empty).
import { createClient } from '@clickhouse/client';
import { FIELDS } from '@db-log-pusher/schema';
import { normalizeRecord } from '../packages/collector/src/ingest/normalize.js';
import { createTablesSql, isModern } from '../packages/collector/src/store/clickhouse/ddl.js';
import { rowObjects } from '../packages/collector/src/store/clickhouse/rows.js';
import { clickhouseCommand, startClickhouse } from '../packages/collector/test/clickhouse-helpers.js';
import type { BenchTarget } from './collector-targets.js';

/** Rows in the limit's one INSERT (BENCH_CH_LIMIT_ROWS). */
const LIMIT_ROWS = Number(process.env.BENCH_CH_LIMIT_ROWS ?? 200_000);

export async function clickhouseTarget(): Promise<BenchTarget> {
  if (!clickhouseCommand()) throw new Error('no clickhouse-server binary (TEST_CLICKHOUSE_BIN, or install clickhouse-server; BENCH_STORES leaves it out)');
  const server = await startClickhouse();
  const version = (await server.sql('SELECT version()')).trim();
  const modern = isModern(version);
  await server.sql('CREATE DATABASE bench');
  for (const sql of createTablesSql({ modern, database: 'bench' })) await server.sql(sql);
  const count = async () => Number((await server.sql('SELECT count() FROM bench.access_logs')).trim());
  return {
    name: 'ClickHouse',
    bulkPath: `one INSERT … FORMAT JSONEachRow of ${LIMIT_ROWS.toLocaleString('en-US')} rows through @clickhouse/client`,
    version,
    async limit(_seconds, row) {
      const rows = Array.from({ length: LIMIT_ROWS }, (_, n) => normalizeRecord(row(n), 'bench'));
      // The rows as the collector's table holds them, keys included, built before the clock starts.
      const values = rowObjects(rows, FIELDS.map((_, i) => i), modern ? 'datetime64' : 'epoch-ms', 'limit', rows.map((_, i) => i));
      const client = createClient({ url: `http://127.0.0.1:${server.httpPort}`, database: 'bench', request_timeout: 600_000 });
      try {
        const t0 = performance.now();
        await client.insert({ table: 'access_logs', values, format: 'JSONEachRow' });
        return LIMIT_ROWS / ((performance.now() - t0) / 1000);
      } finally {
        await client.close();
      }
    },
    collectorEnv: { DATABASE_URL: `clickhouse://default@127.0.0.1:${server.httpPort}/bench` },
    truncate: async () => void (await server.sql('TRUNCATE TABLE bench.access_logs')),
    maxId: count,
    countAbove: async (n) => (await count()) - n,
    drop: () => server.stop(),
  };
}
