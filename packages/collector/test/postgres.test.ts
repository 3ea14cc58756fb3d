// The collector on PostgreSQL: the table it creates from packages/schema (the MySQL table's
// columns and indexes), every body form read back, /query filters, sslmode as libpq means it,
// a CHECK constraint that refuses one row, a table without the optional columns.
import { after, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { FIELDS, indexedFields } from '@db-log-pusher/schema';
import { loadConfig, ConfigError, startCollector, type RunningCollector } from '../src/index.js';
import { fullRecord, getJson, post, queryOne, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';
import { createPgTestDatabase, postgresUrlOrSkip, type PgTestDatabase } from './postgres-helpers.js';

// One database for the file's collector tests (a CREATE DATABASE costs the better part of a
// second on a busy machine); each test starts on it emptied: no tables, the default time zone.
let shared: Promise<PgTestDatabase> | undefined;
after(async () => (await shared)?.drop());

async function emptyDatabase(url: string): Promise<PgTestDatabase> {
  shared ??= createPgTestDatabase(url);
  const db = await shared;
  await db.client.query('DROP TABLE IF EXISTS access_logs, access_logs_spool_positions CASCADE');
  await db.client.query(`ALTER DATABASE ${db.name} RESET TimeZone`);
  return db;
}

async function withPgCollector(t: TestContext, body: (c: RunningCollector, db: PgTestDatabase) => Promise<void>, prepare?: (db: PgTestDatabase) => Promise<void>, env: Record<string, string> = {}) {
  const url = postgresUrlOrSkip(t);
  if (!url) return;
  const db = await emptyDatabase(url);
  const dir = tempDir();
  let c: RunningCollector | undefined;
  try {
    await prepare?.(db);
    c = await startCollector(testConfig(dir, { DATABASE_URL: db.url, ...env }), { logger: pino({ level: 'silent' }) });
    await body(c, db);
  } finally {
    await c?.close();
    removeDir(dir);
  }
}

test('creates the table from the schema (the MySQL columns and indexes); all three body forms read back unchanged', (t) =>
  withPgCollector(t, async (c, db) => {
    const cols = await db.rows<{ column_name: string; data_type: string; datetime_precision: number | null }>(
      "SELECT column_name, data_type, datetime_precision FROM information_schema.columns WHERE table_name = 'access_logs' ORDER BY ordinal_position",
    );
    assert.deepEqual(cols.map((r) => r.column_name), ['id', ...FIELDS.map((f) => f.name), 'created_at']);
    const start = cols.find((r) => r.column_name === 'start_time')!;
    assert.equal(start.data_type, 'timestamp without time zone');
    assert.equal(start.datetime_precision, 3);
    assert.equal(cols.find((r) => r.column_name === 'ai_log')!.data_type, 'jsonb');
    const idx = await db.rows<{ indexname: string }>("SELECT indexname FROM pg_indexes WHERE tablename = 'access_logs' AND indexname LIKE 'idx_%' ORDER BY indexname");
    assert.deepEqual(idx.map((r) => r.indexname), indexedFields().map((f) => `idx_${f.name}`).sort());
    const [comment] = await db.rows<{ c: string }>("SELECT col_description('access_logs'::regclass, ordinal_position::int) AS c FROM information_schema.columns WHERE table_name = 'access_logs' AND column_name = 'trace_id'");
    assert.equal(comment.c, 'X-B3-TraceID', "the MySQL table's column comments");

    const recs = [1, 2, 3, 4, 5, 6].map((i) => fullRecord(i));
    recs[5].ai_log = JSON.stringify(recs[5].ai_log);
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(recs[0]))).status, 200);
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(recs.slice(1, 3)))).status, 200);
    assert.equal((await post(`${c.url}/ingest`, recs.slice(3).map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status, 200);
    for (const rec of recs) {
      const log = await queryOne(c, String(rec.request_id));
      for (const f of FIELDS) {
        const want = f.name === 'ai_log' ? fullRecord(1).ai_log : rec[f.name];
        assert.deepEqual(log[f.name], want, `field ${f.name} of ${rec.request_id}`);
      }
    }
    // Everything COPY's text format escapes, alone and mixed, reads back exactly.
    const tricky = ['a"b', '"{\\"k\\": 1}"', "it's", 'back\\slash', '\\N', '\\.', 'line\nbreak\r\n', 'tab\tb\bs', 'ctrl-z\u001a', '\'\\"\t;--', '中文 😀 "q"'];
    for (const [k, v] of tricky.entries()) {
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord(`esc-${k}`, { user_agent: v, path: `/p"${k}"`, ai_log: { v } })))).status, 200);
    }
    for (const [k, v] of tricky.entries()) {
      const log = await queryOne(c, `esc-${k}`);
      assert.equal(log.user_agent, v, `user_agent ${JSON.stringify(v)}`);
      assert.deepEqual(log.ai_log, { v });
      const [row] = await db.rows<{ ua: string }>('SELECT user_agent AS ua FROM access_logs WHERE request_id = $1', [`esc-${k}`]);
      assert.equal(row.ua, v, `stored user_agent ${JSON.stringify(v)}`);
    }
    // PostgreSQL text and JSONB cannot hold U+0000: it becomes U+FFFD instead of losing the record.
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('nul-1', { user_agent: 'a\u0000b', ai_log: { k: 'x\u0000y', l: '\\u0000' } })))).status, 200);
    const nul = await queryOne(c, 'nul-1');
    assert.equal(nul.user_agent, 'a\uFFFDb');
    assert.deepEqual(nul.ai_log, { k: 'x\uFFFDy', l: '\\u0000' });
    // Milliseconds are kept, and the stored TIMESTAMP is the UTC wall time.
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ms-1', { start_time: '2024-05-01T14:00:59.999+02:00' })))).status, 200);
    assert.equal((await queryOne(c, 'ms-1')).start_time, '2024-05-01T12:00:59.999Z');
    const [raw] = await db.rows<{ t: string }>("SELECT to_char(start_time, 'YYYY-MM-DD HH24:MI:SS.MS') AS t FROM access_logs WHERE request_id = 'ms-1'");
    assert.equal(raw.t, '2024-05-01 12:00:59.999');
  }));

test('/query filters, sorting with NULLs and paging on PostgreSQL', (t) =>
  withPgCollector(t, async (c, db) => {
    const base = Date.UTC(2025, 5, 1, 0, 0, 0, 250);
    const recs = Array.from({ length: 12 }, (_, i) =>
      smallRecord(`pg-${i}`, {
        start_time: new Date(base + i * 1000).toISOString(),
        path: i % 4 === 0 ? `/a/50%_off/${i}` : `/a/${i}`,
        model: i < 6 ? 'm1' : null,
        mcp_server: i >= 9 ? 'srv' : null,
        duration: i === 11 ? null : i,
        consumer: "o'brien",
      }),
    );
    assert.equal((await post(`${c.url}/ingest`, recs.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status, 200);
    const q = async (s: string) => {
      const r = await getJson(`${c.url}/query?consumer=${encodeURIComponent("o'brien")}&${s}`);
      assert.equal(r.status, 200, JSON.stringify(r.json));
      return r.json;
    };
    await waitFor('12 rows', async () => (await q('')).total === 12);
    assert.equal((await queryOne(c, 'pg-3')).start_time, new Date(base + 3000).toISOString());
    assert.equal((await q('path=' + encodeURIComponent('50%_'))).total, 3);
    assert.equal((await q('bizType=MODEL_API')).total, 6);
    assert.equal((await q('bizType=mcp_server')).total, 3);
    assert.equal((await q(`start_time=${new Date(base + 2000).toISOString()}&end=${base + 4000}`)).total, 3);
    assert.equal((await q(`start=${encodeURIComponent('2025-06-01 00:00:05')}`)).total, 7);
    const page = await q('sort_by=duration&sort_order=asc&page=2&page_size=5');
    assert.deepEqual(page.logs.map((l: any) => l.duration), [4, 5, 6, 7, 8]);
    // NULL sorts as the smallest value, as on SQLite and MySQL: first ascending, last descending.
    assert.equal((await q('sort_by=duration&sort_order=asc&page_size=1')).logs[0].duration, null);
    assert.equal((await q('sort_by=duration&sort_order=desc&page_size=1')).logs[0].duration, 10);
    for (const v of ["' OR 1=1 --", '\\', '%', '?', '$1', '"; DROP TABLE access_logs; --']) {
      for (const p of ['authority', 'path', 'model', 'request_id', 'start_time', 'page', 'sort_by']) {
        const r = await getJson(`${c.url}/query?${p}=${encodeURIComponent(v)}`);
        assert.ok(r.status === 200 || r.status === 400, `${p}=${v} → ${r.status}`);
      }
    }
    const [{ n }] = await db.rows<{ n: number }>('SELECT COUNT(*)::int AS n FROM access_logs');
    assert.equal(n, 12);
  }));

test('sslmode as libpq reads it: bad values refused at start; require fails on a server without TLS, prefer and disable connect', async (t) => {
  for (const [url, re] of [
    ['postgres://u@h/db?sslmode=maybe', /sslmode must be one of disable, prefer, require, verify-ca, verify-full/],
    ['postgres://u@h/db?sslmode=verify-ca', /verify-ca needs sslrootcert/],
    ['postgres://u@h/db?sslmod=require', /unsupported parameter "sslmod"/],
    ['postgres://u@h/db?port=0', /port must be between 1 and 65535/],
    ['postgres://u@h/', /needs a database name/],
  ] as const) {
    assert.throws(() => loadConfig({ DATABASE_URL: url }, []), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), url);
  }
  const parsed = loadConfig({ DATABASE_URL: 'postgresql://app:p%40ss@db.example:6543/logs?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=3' }, []).database;
  assert.deepEqual(
    { ...parsed },
    { kind: 'postgres', host: 'db.example', port: 6543, user: 'app', password: 'p@ss', database: 'logs', sslmode: 'verify-full', sslrootcert: '/etc/ca.pem', sslcert: undefined, sslkey: undefined, connectTimeoutMs: 3000, applicationName: 'log-collector' },
  );
  assert.equal((loadConfig({ DATABASE_URL: 'postgres://u@h/db' }, []).database as { sslmode: string }).sslmode, 'prefer', "libpq's default");

  const base = postgresUrlOrSkip(t);
  if (!base) return;
  const db = await createPgTestDatabase(base);
  try {
    // The test server runs without TLS (SHOW ssl = off).
    assert.equal((await db.rows<{ ssl: string }>('SHOW ssl'))[0].ssl, 'off');
    for (const mode of ['disable', 'prefer']) {
      const dir = tempDir();
      const c = await startCollector(testConfig(dir, { DATABASE_URL: db.urlVia(db.host, db.port, `sslmode=${mode}`) }), { logger: pino({ level: 'silent' }) });
      try {
        assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord(`ssl-${mode}`)))).status, 200);
        await queryOne(c, `ssl-${mode}`);
      } finally {
        await c.close();
        removeDir(dir);
      }
    }
    const dir = tempDir();
    const c = await startCollector(testConfig(dir, { DATABASE_URL: db.urlVia(db.host, db.port, 'sslmode=require'), SHUTDOWN_TIMEOUT_MS: '200' }), { logger: pino({ level: 'silent' }) });
    try {
      assert.equal((await getJson(`${c.url}/ready`)).json.database, false, 'never connected without TLS');
      const q = await getJson(`${c.url}/query`);
      assert.equal(q.status, 503);
    } finally {
      await c.close();
      removeDir(dir);
    }
  } finally {
    await db.drop();
  }
});

test("a row the table refuses (a CHECK constraint) is set aside; the rest is stored once and ingest goes on", (t) =>
  withPgCollector(
    t,
    async (c, db) => {
      const body = ['ck-1', 'ck-2', 'ck-3'].map((id, i) => JSON.stringify(smallRecord(id, { response_code: i === 1 ? 418 : 200 }))).join('\n');
      assert.equal((await post(`${c.url}/ingest`, body, 'application/x-ndjson')).status, 200);
      await queryOne(c, 'ck-3');
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ck-4')))).status, 200);
      await queryOne(c, 'ck-4');
      const rows = await db.rows<{ request_id: string; n: number }>('SELECT request_id, COUNT(*)::int AS n FROM access_logs GROUP BY request_id ORDER BY request_id');
      assert.deepEqual(rows.map((r) => [r.request_id, r.n]), [['ck-1', 1], ['ck-3', 1], ['ck-4', 1]]);
      const aside = readFileSync(join(c.context.config.dataDir, 'rejected.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(aside.length, 1);
      assert.equal(aside[0].record.request_id, 'ck-2');
      assert.match(aside[0].reason, /chk_code/);
      await waitFor('nothing pending', async () => /^log_collector_pending_records 0$/m.test(await (await fetch(`${c.url}/metrics`)).text()), 10_000);
    },
    async (db) => {
      const { createTableSql } = await import('@db-log-pusher/schema');
      for (const s of createTableSql('postgres')) await db.client.query(s);
      await db.client.query('ALTER TABLE access_logs ADD CONSTRAINT chk_code CHECK (response_code <> 418)');
    },
  ));

test('a table created without the optional columns gets them added', (t) =>
  withPgCollector(
    t,
    async (c, db) => {
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('opt-1', { req_headers: { a: 'b' }, req_body: 'hello' })))).status, 200);
      const log = await queryOne(c, 'opt-1');
      assert.deepEqual(log.req_headers, { a: 'b' });
      assert.equal(log.req_body, 'hello');
      const cols = await db.rows<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_name = 'access_logs' AND column_name IN ('req_headers', 'resp_body')");
      assert.equal(cols.length, 2);
    },
    async (db) => {
      const seedOnly = FIELDS.filter((f) => f.seed).map((f) => `${f.name} ${f.sql.postgres}`);
      await db.client.query(`CREATE TABLE access_logs (id BIGSERIAL PRIMARY KEY, ${seedOnly.join(', ')})`);
    },
  ));

test("a user's table with TIMESTAMPTZ on a database in another time zone: times stored, read and filtered as UTC", (t) =>
  withPgCollector(
    t,
    async (c) => {
      const recs = [0, 1, 2].map((h) => smallRecord(`tz-${h}`, { start_time: `2024-05-01T${String(10 + h).padStart(2, '0')}:00:00.000Z` }));
      assert.equal((await post(`${c.url}/ingest`, recs.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status, 200);
      assert.equal((await queryOne(c, 'tz-1')).start_time, '2024-05-01T11:00:00.000Z');
      const q = await getJson(`${c.url}/query?start=${encodeURIComponent('2024-05-01 10:30:00')}&end=2024-05-01T11:30:00Z`);
      assert.deepEqual(q.json.logs.map((l: { request_id: string }) => l.request_id), ['tz-1']);
      const s = await getJson(`${c.url}/stats?interval=1h&start_time=2024-05-01T10:00:00Z&end=2024-05-01T12:59:59Z`);
      assert.deepEqual(s.json.series[0].values.requests, [1, 1, 1]);
    },
    async (db) => {
      await db.client.query(`ALTER DATABASE ${db.name} SET TimeZone = 'Asia/Shanghai'`);
      const cols = FIELDS.map((f) => `${f.name} ${f.name === 'start_time' ? 'TIMESTAMPTZ NOT NULL' : f.sql.postgres}`);
      await db.client.query(`CREATE TABLE access_logs (id BIGSERIAL PRIMARY KEY, ${cols.join(', ')})`);
    },
  ));
