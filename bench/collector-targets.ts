// The databases bench/collector.bench.ts measures the collector against. Each target makes a
// fresh database, loads rows by its fastest bulk path straight from its own client (the limit
// the collector is compared with), gives the collector's environment, and counts persisted rows.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { FIELDS, SEED_FIELDS, SEED_TABLE_SQL_PATH, createTableSql } from '@db-log-pusher/schema';

export type BenchRecord = Record<string, unknown>;

export interface BenchTarget {
  name: string;
  /** The bulk path the limit is measured with. */
  bulkPath: string;
  version: string;
  /** Rows per second loaded for `seconds` by the bulk path, `row(n)` giving each row. */
  limit(seconds: number, row: (n: number) => BenchRecord): Promise<number>;
  collectorEnv: Record<string, string>;
  /** Empties the table (every phase starts from an empty table). */
  truncate(): Promise<void>;
  maxId(): Promise<number>;
  countAbove(id: number): Promise<number>;
  drop(): Promise<void>;
}

const BATCH = 1000;
const dbName = () => `dblog_bench_${randomBytes(4).toString('hex')}`;

/** MariaDB/MySQL with the seed's table verbatim; the limit is 1000-row multi-row INSERTs through mysql2. */
export async function mysqlTarget(baseUrl: string): Promise<BenchTarget> {
  const u = new URL(baseUrl);
  const server = { host: u.hostname || '127.0.0.1', port: Number(u.port || 3306), user: decodeURIComponent(u.username || 'root'), password: decodeURIComponent(u.password) };
  const name = dbName();
  const admin = await mysql.createConnection({ ...server, multipleStatements: true });
  await admin.query(`CREATE DATABASE ${name} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`USE ${name}`);
  const seedSql = readFileSync(SEED_TABLE_SQL_PATH, 'utf8').split('\n').filter((l) => !/^\s*(CREATE DATABASE|USE)\b/i.test(l)).join('\n');
  await admin.query(seedSql);
  const [[v]] = (await admin.query('SELECT VERSION() AS v')) as unknown as [[{ v: string }]];
  const counter = await mysql.createConnection({ ...server, database: name });
  const cred = server.password ? `${server.user}:${server.password}` : server.user;
  return {
    name: 'MariaDB',
    bulkPath: `${BATCH}-row INSERTs through mysql2`,
    version: v.v,
    async limit(seconds, row) {
      const cols = SEED_FIELDS.map((f) => f.name);
      const toRow = (r: BenchRecord) => cols.map((c) => (c === 'start_time' ? String(r[c]).slice(0, 19).replace('T', ' ') : r[c] ?? null));
      const conn = await mysql.createConnection({ ...server, database: name, timezone: 'Z' });
      let rows = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        const batch = Array.from({ length: BATCH }, () => toRow(row(rows++)));
        await conn.query(`INSERT INTO access_logs (${cols.join(',')}) VALUES ?`, [batch]);
      }
      const rate = rows / ((performance.now() - t0) / 1000);
      await conn.end();
      return rate;
    },
    collectorEnv: { MYSQL_DSN: `${cred}@tcp(${server.host}:${server.port})/${name}?charset=utf8mb4&parseTime=True&loc=Local` },
    truncate: async () => void (await counter.query('TRUNCATE TABLE access_logs')),
    maxId: async () => Number(((await counter.query('SELECT COALESCE(MAX(id), 0) AS m FROM access_logs')) as unknown as [[{ m: number }]])[0][0].m),
    countAbove: async (id) => Number(((await counter.query('SELECT COUNT(*) AS n FROM access_logs WHERE id > ?', [id])) as unknown as [[{ n: number }]])[0][0].n),
    async drop() {
      await counter.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
      await admin.end();
    },
  };
}

/** COPY text format for the bench's rows (no tabs, newlines or backslashes in them, checked). */
function copyLine(r: BenchRecord, cols: readonly string[]): string {
  const values = cols.map((c) => (r[c] === null || r[c] === undefined ? null : String(r[c])));
  if (values.some((v) => v !== null && /[\\\t\n\r]/.test(v))) throw new Error('bench rows must not need COPY escapes');
  return values.map((v) => v ?? '\\N').join('\t') + '\n';
}

/** PostgreSQL with the table the collector creates (packages/schema); the limit is 1000-row COPYs through pg-copy-streams. */
export async function postgresTarget(baseUrl: string): Promise<BenchTarget> {
  const name = dbName();
  const admin = new pg.Client({ connectionString: baseUrl });
  // A connection the server ends between queries emits 'error': the next query then fails instead.
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(baseUrl);
  u.pathname = `/${name}`;
  u.search = 'sslmode=disable';
  const url = u.toString();
  const counter = new pg.Client({ connectionString: url });
  counter.on('error', () => undefined);
  await counter.connect();
  for (const s of createTableSql('postgres')) await counter.query(s);
  const version = (await counter.query('SHOW server_version')).rows[0].server_version as string;
  return {
    name: 'PostgreSQL',
    bulkPath: `${BATCH}-row COPYs through pg-copy-streams`,
    version: `PostgreSQL ${version}`,
    async limit(seconds, row) {
      // Every column the collector writes (the optional ones NULL), as the collector sends them.
      const cols = FIELDS.map((f) => f.name);
      const conn = new pg.Client({ connectionString: url });
      conn.on('error', () => undefined);
      await conn.connect();
      let rows = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < seconds * 1000) {
        let text = '';
        for (let i = 0; i < BATCH; i++) text += copyLine(row(rows++), cols);
        await pipeline(Readable.from([Buffer.from(text)]), conn.query(copyFrom(`COPY access_logs (${cols.join(', ')}) FROM STDIN`)));
      }
      const rate = rows / ((performance.now() - t0) / 1000);
      await conn.end();
      return rate;
    },
    collectorEnv: { DATABASE_URL: url },
    // RESTART IDENTITY: ids count from 1 again, as MariaDB's TRUNCATE does (progress is read from MAX(id)).
    truncate: async () => void (await counter.query('TRUNCATE TABLE access_logs RESTART IDENTITY')),
    maxId: async () => Number((await counter.query('SELECT COALESCE(MAX(id), 0) AS m FROM access_logs')).rows[0].m),
    countAbove: async (id) => Number((await counter.query('SELECT COUNT(*) AS n FROM access_logs WHERE id > $1', [id])).rows[0].n),
    async drop() {
      await counter.end().catch(() => undefined);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    },
  };
}
