// Statistics computed in the database: the same numbers on SQLite, MariaDB, PostgreSQL and ClickHouse, and the same as
// an independent computation over the records in JavaScript.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import { FIELDS, createTableSql, type AccessLogRecord, type Dialect } from '@db-log-pusher/schema';
import type { SqlReader } from '../src/store/sql-reader.js';
import { PostgresStore } from '../src/store/postgres/index.js';
import { loadConfig } from '../src/config.js';
import pino from 'pino';
import { createPgTestDatabase, type PgTestDatabase } from './postgres-helpers.js';
import { ClickhouseStore } from '../src/store/clickhouse/index.js';
import { normalizeRecord } from '../src/ingest/normalize.js';
import { chTestDatabase, clickhouseOrSkip, sharedClickhouse, type ChTestDatabase } from './clickhouse-helpers.js';
import {
  computeStats, parseStatsOptions, StatsParamError, sampleRecords, type Metrics, type StatsResult,
} from '../src/stats/index.js';

const START = Date.UTC(2026, 0, 10, 8, 0, 0);
const SPAN = 6 * 3600_000;
const RECORDS = sampleRecords({ count: 600, seed: 7, startMs: START + 1234, spanMs: SPAN - 5000 });

function cell(f: (typeof FIELDS)[number], v: unknown, d: Dialect): unknown {
  if (v === undefined || v === null) return null;
  if (f.name === 'start_time') {
    const iso = new Date(v as string).toISOString();
    return d === 'mysql' ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso;
  }
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

function insertSql(d: Dialect, rows: number): string {
  const cols = FIELDS.map((f) => f.name);
  let n = 0;
  const one = () => `(${cols.map(() => (d === 'postgres' ? `$${++n}` : '?')).join(', ')})`;
  return `INSERT INTO access_logs (${cols.join(', ')}) VALUES ${Array.from({ length: rows }, one).join(', ')}`;
}

function sqliteReader(db: Database.Database): SqlReader {
  return { dialect: 'sqlite', all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[] };
}

function mysqlReader(conn: mysql.Connection): SqlReader {
  return {
    dialect: 'mysql',
    all: async (sql, params) => {
      const [rows] = await conn.query(sql, params as unknown[]);
      return rows as Record<string, unknown>[];
    },
  };
}

let lite: Database.Database;
let my: mysql.Connection | null = null;
let myDb = '';
const MYSQL_URL = process.env.TEST_MYSQL_URL;
const mysqlSkip = MYSQL_URL ? false : process.env.CI ? false : 'TEST_MYSQL_URL is not set (MariaDB parity checks skipped)';
const PG_URL = process.env.TEST_POSTGRES_URL;
let pgDb: PgTestDatabase | null = null;
/** The PostgreSQL store's own reader (its placeholders, its type parsing), on a table loaded directly. */
let pgStore: PostgresStore | null = null;
/** The ClickHouse store's reader (FINAL, literals, its dialect), on rows written by the store. */
let chStore: ClickhouseStore | null = null;
let chDb: ChTestDatabase | null = null;
let chSkip = '';

before(async () => {
  lite = new Database(':memory:');
  for (const s of createTableSql('sqlite')) lite.exec(s);
  const ins = lite.prepare(insertSql('sqlite', 1));
  lite.transaction(() => { for (const r of RECORDS) ins.run(...FIELDS.map((f) => cell(f, r[f.name as keyof AccessLogRecord], 'sqlite'))); })();

  if (clickhouseOrSkip({ skip: (m?: string) => void (chSkip = String(m)) })) {
    chDb = chTestDatabase(await sharedClickhouse());
    const cfg = loadConfig({ DATABASE_URL: chDb.url }, []);
    chStore = new ClickhouseStore(cfg.database as Extract<typeof cfg.database, { kind: 'clickhouse' }>, pino({ level: 'silent' }));
    await chStore.init();
    await chStore.writeBatch(RECORDS.map((r) => normalizeRecord(r, 'test')), { spoolId: 'stats', segment: 1, offset: 1 }, 1000, [{ segment: 1, offset: 0, rows: RECORDS.length }]);
  }
  if (PG_URL) {
    pgDb = await createPgTestDatabase(PG_URL);
    for (const s of createTableSql('postgres')) await pgDb.client.query(s);
    for (let i = 0; i < RECORDS.length; i += 100) {
      const chunk = RECORDS.slice(i, i + 100);
      await pgDb.client.query(insertSql('postgres', chunk.length), chunk.flatMap((r) => FIELDS.map((f) => cell(f, r[f.name as keyof AccessLogRecord], 'postgres'))));
    }
    const cfg = loadConfig({ DATABASE_URL: pgDb.url }, []);
    pgStore = new PostgresStore(cfg.database as Extract<typeof cfg.database, { kind: 'postgres' }>, pino({ level: 'silent' }));
  } else if (process.env.CI) throw new Error('TEST_POSTGRES_URL must be set in CI');
  if (!MYSQL_URL) {
    if (process.env.CI) throw new Error('TEST_MYSQL_URL must be set in CI');
    return;
  }
  const url = new URL(MYSQL_URL);
  myDb = `dblog_stats_${randomBytes(4).toString('hex')}`;
  url.pathname = '/';
  my = await mysql.createConnection({ uri: url.toString(), multipleStatements: false, timezone: 'Z' });
  await my.query(`CREATE DATABASE ${myDb} DEFAULT CHARACTER SET utf8mb4`);
  await my.query(`USE ${myDb}`);
  for (const s of createTableSql('mysql')) await my.query(s);
  for (let i = 0; i < RECORDS.length; i += 100) {
    const chunk = RECORDS.slice(i, i + 100);
    await my.query(insertSql('mysql', chunk.length), chunk.flatMap((r) => FIELDS.map((f) => cell(f, r[f.name as keyof AccessLogRecord], 'mysql'))));
  }
});

after(async () => {
  lite?.close();
  await pgStore?.close();
  await pgDb?.drop();
  await chStore?.close();
  await chDb?.drop();
  if (my) {
    await my.query(`DROP DATABASE IF EXISTS ${myDb}`);
    await my.end();
  }
});

// ---- the independent computation ------------------------------------------------------------

function nearestRank(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

function refMetrics(rs: AccessLogRecord[]): Metrics {
  const sum = (k: keyof AccessLogRecord) => rs.reduce((a, r) => a + ((r[k] as number | null | undefined) ?? 0), 0);
  const ds = rs.map((r) => r.duration).filter((d): d is number => typeof d === 'number').sort((a, b) => a - b);
  return {
    requests: rs.length,
    errors: rs.filter((r) => (r.response_code ?? 0) >= 400).length,
    errors_5xx: rs.filter((r) => (r.response_code ?? 0) >= 500).length,
    input_tokens: sum('input_tokens'),
    output_tokens: sum('output_tokens'),
    total_tokens: sum('total_tokens'),
    bytes_received: sum('bytes_received'),
    bytes_sent: sum('bytes_sent'),
    duration_avg: ds.length ? Math.round((ds.reduce((a, b) => a + b, 0) / ds.length) * 1000) / 1000 : null,
    duration_p50: nearestRank(ds, 50),
    duration_p95: nearestRank(ds, 95),
    duration_p99: nearestRank(ds, 99),
    ...refUsage(rs),
  };
}

const r10 = (x: number) => Math.round(x * 1e10) / 1e10;

/** The AI usage metrics, computed here from the records. */
function refUsage(rs: AccessLogRecord[]): Pick<Metrics, 'cost' | 'cached_tokens' | 'cached_share' | 'output_tokens_per_second' | 'first_token_p50' | 'first_token_p95'> {
  const priced = rs.filter((r) => typeof r.cost === 'number');
  const cached = rs.reduce((a, r) => a + (r.cached_tokens ?? 0), 0);
  const input = rs.reduce((a, r) => a + (r.input_tokens ?? 0), 0);
  const timed = rs.filter((r) => typeof r.output_tokens === 'number' && ((r.llm_service_duration ?? r.duration) ?? 0) > 0);
  const genMs = timed.reduce((a, r) => a + (r.llm_service_duration ?? r.duration)!, 0);
  const genTokens = timed.reduce((a, r) => a + r.output_tokens!, 0);
  const ft = rs.filter((r) => r.response_type === 'stream' && typeof r.llm_first_token_duration === 'number').map((r) => r.llm_first_token_duration!).sort((a, b) => a - b);
  return {
    cost: priced.length ? r10(priced.reduce((a, r) => a + r.cost!, 0)) : null,
    cached_tokens: cached,
    cached_share: input > 0 ? Math.round((cached / input) * 1e4) / 1e4 : null,
    output_tokens_per_second: genMs > 0 ? Math.round((genTokens / (genMs / 1000)) * 1000) / 1000 : null,
    first_token_p50: nearestRank(ft, 50),
    first_token_p95: nearestRank(ft, 95),
  };
}

function refClient(r: AccessLogRecord): string | null {
  const xff = r.x_forwarded_for?.trim();
  if (xff && xff !== '-') return xff.split(',')[0].trim();
  const a = r.downstream_remote_address;
  if (!a) return null;
  return a.split(':').length === 2 ? a.split(':')[0] : a;
}

function groupKey(r: AccessLogRecord, col: keyof AccessLogRecord): string | number | null {
  const v = r[col] as string | number | null | undefined;
  return v === '' || v === undefined ? null : v;
}

// ---- tests --------------------------------------------------------------------------------------

async function both(fn: (reader: SqlReader) => Promise<StatsResult>, t: { skip: (m: string) => void }): Promise<StatsResult> {
  const a = await fn(sqliteReader(lite));
  const skipped: string[] = [];
  if (my) assert.deepEqual(await fn(mysqlReader(my)), a, 'MariaDB and SQLite disagree');
  else skipped.push(String(mysqlSkip));
  if (pgStore) assert.deepEqual(await fn(pgStore.reader), a, 'PostgreSQL and SQLite disagree');
  else skipped.push('TEST_POSTGRES_URL is not set (PostgreSQL parity checks skipped)');
  if (chStore) assert.deepEqual(await fn(chStore.reader), a, 'ClickHouse and SQLite disagree');
  else skipped.push(chSkip);
  if (skipped.length) t.skip(skipped.join('; '));
  return a;
}

test('KPIs over the whole table match an independent computation', async (t) => {
  const r = await both((reader) => computeStats({ reader, filter: { where: '', params: [] }, options: parseStatsOptions({}) }), t);
  const m = refMetrics(RECORDS);
  const { pv, uv, fallback_count, error_rate, ...metrics } = r.kpis!;
  assert.deepEqual(metrics, m);
  assert.equal(pv, RECORDS.length);
  assert.equal(uv, new Set(RECORDS.map(refClient).filter((c) => c !== null)).size);
  assert.ok(uv > 10 && uv < 200, `uv=${uv}`);
  const fallbacks = RECORDS.filter((x) => x.ai_log && 'fallback_from' in x.ai_log).length;
  assert.ok(fallbacks > 0);
  assert.equal(fallback_count, fallbacks);
  assert.equal(error_rate, Math.round((m.errors / m.requests) * 10000) / 10000);
  assert.equal(r.groups, undefined);
  assert.equal(r.series, undefined);
});

test('group_by model with an hourly series: per-group totals and buckets', async (t) => {
  const range = { start: new Date(START), end: new Date(START + SPAN - 1) };
  const opts = parseStatsOptions({ group_by: 'model', interval: '1h', limit: '3' });
  const r = await both((reader) => computeStats({ reader, filter: { where: '', params: [] }, options: opts, range }), t);
  const byModel = new Map<string | number | null, AccessLogRecord[]>();
  for (const x of RECORDS) byModel.set(groupKey(x, 'model'), [...(byModel.get(groupKey(x, 'model')) ?? []), x]);
  const expected = [...byModel.entries()]
    .map(([key, rs]) => ({ key, ...refMetrics(rs) }))
    .sort((a, b) => b.requests - a.requests || (a.key === null ? 1 : b.key === null ? -1 : String(a.key).localeCompare(String(b.key))))
    .slice(0, 3);
  assert.deepEqual(r.groups, expected);
  assert.deepEqual(r.timestamps, [0, 1, 2, 3, 4, 5].map((h) => (START + h * 3600_000) / 1000));
  assert.equal(r.series!.length, 3);
  for (const s of r.series!) {
    for (let h = 0; h < 6; h++) {
      const rs = (byModel.get(s.key) ?? []).filter((x) => Math.floor(Date.parse(x.start_time!) / 3600_000) === START / 3600_000 + h);
      const m = refMetrics(rs);
      for (const k of Object.keys(m) as (keyof Metrics)[]) assert.equal(s.values[k][h], m[k], `${String(s.key)} hour ${h} ${k}`);
    }
  }
});

test('filters narrow every part; series without group_by is one series', async (t) => {
  const opts = parseStatsOptions({ group_by: 'response_code', interval: '30m' });
  const r = await both((reader) => computeStats({ reader, filter: { where: 'WHERE consumer = ?', params: ['team-a'] }, options: opts }), t);
  const rs = RECORDS.filter((x) => x.consumer === 'team-a');
  assert.equal(r.kpis!.requests, rs.length);
  const codes = new Set(rs.map((x) => x.response_code));
  assert.equal(r.groups!.length, codes.size);
  assert.deepEqual(r.groups!.find((g) => g.key === 429), { key: 429, ...refMetrics(rs.filter((x) => x.response_code === 429)) });
  // the range comes from the data: first to last matching record
  const first = Math.floor(Date.parse(rs[0].start_time!) / 1800_000) * 1800;
  assert.equal(r.timestamps![0], first);
  assert.equal(r.series!.reduce((a, s) => a + s.values.requests.reduce((x, y) => x! + y!, 0)!, 0), rs.length);

  const flat = await both((reader) => computeStats({ reader, filter: { where: 'consumer = ?', params: ['team-a'] }, options: parseStatsOptions({ interval: '1h' }) }), t);
  assert.equal(flat.series!.length, 1);
  assert.equal(flat.series![0].key, null);
  assert.equal(flat.series![0].values.total_tokens.reduce((x, y) => x! + y!, 0), refMetrics(rs).total_tokens);
});

test('bad parameters are named in the error', () => {
  assert.throws(() => parseStatsOptions({ group_by: 'path', interval: '5 minutes', limit: '0' }), (e: unknown) => {
    assert.ok(e instanceof StatsParamError);
    assert.deepEqual(e.params, ['group_by', 'interval', 'limit']);
    assert.match(e.message, /group_by: must be one of model, consumer/);
    return true;
  });
  assert.deepEqual(parseStatsOptions({ interval: '15m' }).intervalSeconds, 900);
  assert.deepEqual(parseStatsOptions({ interval: '1d' }).intervalSeconds, 86400);
});

test('a range that needs too many buckets is refused before querying', async () => {
  const opts = parseStatsOptions({ interval: '1s' });
  await assert.rejects(
    computeStats({ reader: sqliteReader(lite), filter: { where: '', params: [] }, options: opts, range: { start: new Date(START), end: new Date(START + SPAN) } }),
    (e: unknown) => e instanceof StatsParamError && e.params[0] === 'interval' && /21601 buckets/.test(e.message),
  );
});

test('an empty selection gives zeros and null percentiles', async (t) => {
  const r = await both((reader) => computeStats({ reader, filter: { where: 'model = ?', params: ['no-such-model'] }, options: parseStatsOptions({ group_by: 'consumer', interval: '1h' }) }), t);
  assert.equal(r.kpis!.pv, 0);
  assert.equal(r.kpis!.uv, 0);
  assert.equal(r.kpis!.duration_p99, null);
  assert.equal(r.kpis!.error_rate, 0);
  assert.deepEqual(r.groups, []);
  assert.deepEqual(r.series, []);
});

test('kpis=false leaves the KPIs out; groups keep their percentiles', async (t) => {
  const opts = parseStatsOptions({ group_by: 'consumer', kpis: 'false' });
  const r = await both((reader) => computeStats({ reader, filter: { where: '', params: [] }, options: opts }), t);
  assert.equal(r.kpis, undefined);
  const teamA = RECORDS.filter((x) => x.consumer === 'team-a');
  assert.deepEqual(r.groups!.find((g) => g.key === 'team-a'), { key: 'team-a', ...refMetrics(teamA) });
  assert.throws(() => parseStatsOptions({ kpis: 'maybe' }), /kpis: must be true or false/);
});
