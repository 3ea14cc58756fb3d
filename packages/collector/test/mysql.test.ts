// The collector on MariaDB: the seed's table as users created it, a Go-format MYSQL_DSN, a table it
// creates itself, and a user without ALTER permission.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pino from 'pino';
import { FIELDS, OPTIONAL_FIELDS } from '@db-log-pusher/schema';
import { startCollector, type RunningCollector } from '../src/index.js';
import { createSeedTable, createTestDatabase, fullRecord, getJson, mysqlUrlOrSkip, post, queryOne, removeDir, smallRecord, tempDir, testConfig, waitFor, type TestDatabase } from './helpers.js';

async function withCollector(t: Parameters<Parameters<typeof test>[1]>[0], env: (db: TestDatabase) => Record<string, string>, body: (c: RunningCollector, db: TestDatabase) => Promise<void>, prepare?: (db: TestDatabase) => Promise<void>) {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const db = await createTestDatabase(url);
  const dir = tempDir();
  let c: RunningCollector | undefined;
  try {
    await prepare?.(db);
    c = await startCollector(testConfig(dir, env(db)));
    await body(c, db);
  } finally {
    await c?.close();
    await db.drop();
    removeDir(dir);
  }
}

test("the seed's table, a Go-format MYSQL_DSN: all three body forms read back unchanged", async (t) => {
  await withCollector(
    t,
    (db) => ({ MYSQL_DSN: db.goDsn }),
    async (c, db) => {
      // The seed's start_time is DATETIME (seconds): send whole seconds to compare exactly.
      const recs = [1, 2, 3, 4, 5, 6].map((i) => fullRecord(i, 0));
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
      // Strings are sent as quoted literals: every character that escaping treats specially, alone
      // and mixed, reads back exactly (as stored, and through /query).
      const tricky = ['a"b', '"{\\"k\\": 1}"', "it's", 'back\\slash', 'nul\u0000x', 'line\nbreak\r\n', 'tab\tb\bs', 'ctrl-z\u001a', '\'\\"\u0000;--', '中文 😀 "q"'];
      for (const [k, v] of tricky.entries()) {
        assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord(`esc-${k}`, { user_agent: v, path: `/p"${k}"` })))).status, 200);
      }
      for (const [k, v] of tricky.entries()) {
        const log = await queryOne(c, `esc-${k}`);
        assert.equal(log.user_agent, v, `user_agent ${JSON.stringify(v)}`);
        assert.equal(log.path, `/p"${k}"`);
        const [row] = await db.rows<{ ua: string }>('SELECT user_agent AS ua FROM access_logs WHERE request_id = ?', [`esc-${k}`]);
        assert.equal(row.ua, v, `stored user_agent ${JSON.stringify(v)}`);
      }
      // Milliseconds on the seed's DATETIME are cut, never rounded into the next second.
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ms-1', { start_time: '2024-05-01T12:00:59.999Z' })))).status, 200);
      assert.equal((await queryOne(c, 'ms-1')).start_time, '2024-05-01T12:00:59.000Z');
      // The seed's columns are left as they were; the optional capture columns were added.
      const cols = await db.rows<{ COLUMN_NAME: string; COLUMN_TYPE: string }>(
        "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'access_logs'",
      );
      const types = new Map(cols.map((r) => [r.COLUMN_NAME, r.COLUMN_TYPE]));
      assert.equal(types.get('start_time'), 'datetime');
      for (const f of OPTIONAL_FIELDS) assert.ok(types.has(f.name), `optional column ${f.name} added`);
      assert.deepEqual([...types.keys()].filter((n) => !['id', 'created_at', ...FIELDS.map((f) => f.name)].includes(n)), [], 'no other columns added');
      // Timestamps are UTC end to end: the stored DATETIME is the UTC wall time.
      const [raw] = await db.rows<{ t: string }>("SELECT DATE_FORMAT(start_time, '%Y-%m-%d %H:%i:%s') AS t FROM access_logs WHERE request_id = 'ms-1'");
      assert.equal(raw.t, '2024-05-01 12:00:59');
    },
    createSeedTable,
  );
});

test('creates the table when missing (milliseconds kept) and filters work on MySQL', async (t) => {
  await withCollector(
    t,
    (db) => ({ DATABASE_URL: db.url }),
    async (c, db) => {
      const base = Date.UTC(2025, 5, 1, 0, 0, 0, 250);
      const recs = Array.from({ length: 12 }, (_, i) =>
        smallRecord(`my-${i}`, {
          start_time: new Date(base + i * 1000).toISOString(),
          path: i % 4 === 0 ? `/a/50%_off/${i}` : `/a/${i}`,
          model: i < 6 ? 'm1' : null,
          mcp_server: i >= 9 ? 'srv' : null,
          duration: i,
          consumer: "o'brien",
        }),
      );
      assert.equal((await post(`${c.url}/ingest`, recs.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status, 200);
      const log = await queryOne(c, 'my-3');
      assert.equal(log.start_time, new Date(base + 3000).toISOString());
      const q = async (s: string) => {
        const r = await getJson(`${c.url}/query?consumer=${encodeURIComponent("o'brien")}&${s}`);
        assert.equal(r.status, 200, JSON.stringify(r.json));
        return r.json;
      };
      await waitFor('12 rows', async () => (await q('')).total === 12);
      assert.equal((await q('path=' + encodeURIComponent('50%_'))).total, 3);
      assert.equal((await q('bizType=MODEL_API')).total, 6);
      assert.equal((await q('bizType=mcp_server')).total, 3);
      assert.equal((await q(`start_time=${new Date(base + 2000).toISOString()}&end=${base + 4000}`)).total, 3);
      assert.equal((await q(`start=${encodeURIComponent('2025-06-01 00:00:05')}`)).total, 7);
      const page = await q('sort_by=duration&sort_order=asc&page=2&page_size=5');
      assert.deepEqual(page.logs.map((l: any) => l.duration), [5, 6, 7, 8, 9]);
      for (const v of ["' OR 1=1 --", '\\', '%', '"; DROP TABLE access_logs; --']) {
        for (const p of ['authority', 'path', 'model', 'request_id', 'start_time', 'page', 'sort_by']) {
          const r = await getJson(`${c.url}/query?${p}=${encodeURIComponent(v)}`);
          assert.ok(r.status === 200 || r.status === 400, `${p}=${v} → ${r.status}`);
        }
      }
      const [{ n }] = await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM access_logs');
      assert.equal(n, 12);
      // TEXT holds 65,535 bytes: multi-byte text is cut by bytes, on a character boundary.
      const wide = smallRecord('wide-1', { user_agent: '中'.repeat(30_000), path: '/' + '😀'.repeat(20_000) });
      assert.equal((await post(`${c.url}/ingest`, JSON.stringify(wide))).status, 200);
      const w = await queryOne(c, 'wide-1');
      assert.ok(Buffer.byteLength(w.user_agent) <= 65_535 && Buffer.byteLength(w.user_agent) > 65_000);
      assert.ok((wide.user_agent as string).startsWith(w.user_agent));
      assert.ok(Buffer.byteLength(w.path) <= 65_535 && (wide.path as string).startsWith(w.path));
      // DATETIME cannot hold years before 1000: refused at the door instead of failing the batch.
      const old = await post(`${c.url}/ingest`, JSON.stringify(smallRecord('old-1', { start_time: '0999-12-31T23:59:59.000Z' })));
      assert.equal(old.status, 400);
      assert.equal(old.json.param, 'start_time');
      const [col] = await db.rows<{ p: number }>(
        "SELECT DATETIME_PRECISION AS p FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'access_logs' AND COLUMN_NAME = 'start_time'",
      );
      assert.equal(col.p, 3);
    },
  );
});

test('without ALTER permission the optional fields are left out, with one warning', async (t) => {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const db = await createTestDatabase(url);
  const dir = tempDir();
  const user = `${db.name}_u`.slice(0, 32);
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
  let c: RunningCollector | undefined;
  try {
    await createSeedTable(db);
    await db.conn.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'pw-1'`);
    await db.conn.query(`CREATE USER '${user}'@'localhost' IDENTIFIED BY 'pw-1'`);
    for (const h of ['%', 'localhost']) await db.conn.query(`GRANT SELECT, INSERT, UPDATE, CREATE ON ${db.name}.* TO '${user}'@'${h}'`);
    c = await startCollector(testConfig(dir, { MYSQL_DSN: `${user}:pw-1@tcp(${db.host}:${db.port})/${db.name}?charset=utf8mb4&parseTime=True&loc=Local` }), { logger });
    const rec = smallRecord('noalter-1', { req_headers: { a: 'b' }, req_body: 'hello' });
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(rec))).status, 200);
    const log = await queryOne(c, 'noalter-1');
    assert.equal(log.model, 'qwen-turbo');
    assert.equal(log.req_headers, null);
    assert.equal(log.req_body, null);
    const warnings = lines.filter((l) => l.includes('cannot add an optional column'));
    assert.equal(warnings.length, OPTIONAL_FIELDS.length, 'one warning per column, once');
    const cols = await db.rows("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'access_logs' AND COLUMN_NAME = 'req_body'");
    assert.equal(cols.length, 0);
  } finally {
    await c?.close();
    for (const h of ['%', 'localhost']) await db.conn.query(`DROP USER IF EXISTS '${user}'@'${h}'`).catch(() => undefined);
    await db.drop();
    removeDir(dir);
  }
});

test('a spool holding only a torn frame from a crash: dropped, and the drainer carries on', async (t) => {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const db = await createTestDatabase(url);
  const dir = tempDir();
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
  let c: RunningCollector | undefined;
  try {
    mkdirSync(join(dir, 'spool'), { recursive: true });
    // A frame header announcing 200 bytes, followed by only 5: a write cut short by a crash.
    writeFileSync(join(dir, 'spool', 'segment-000000000001.log'), Buffer.from([200, 0, 0, 0, 9, 9, 9, 9, 1, 2, 3, 4, 5]));
    c = await startCollector(testConfig(dir, { MYSQL_DSN: db.goDsn }), { logger });
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('after-torn')))).status, 200);
    const log = await queryOne(c, 'after-torn');
    assert.equal(log.request_id, 'after-torn');
    assert.ok(lines.some((l) => l.includes('dropping a torn or corrupt spool tail')));
    assert.ok(!lines.some((l) => l.includes('database write failed')), lines.join(''));
  } finally {
    await c?.close();
    await db.drop();
    removeDir(dir);
  }
});

test("a row the user's table refuses (a CHECK constraint) is set aside; the rest is stored once and ingest goes on", async (t) => {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const db = await createTestDatabase(url);
  const dir = tempDir();
  let c: RunningCollector | undefined;
  try {
    await createSeedTable(db);
    await db.conn.query('ALTER TABLE access_logs ADD CONSTRAINT chk_code CHECK (response_code <> 418)');
    c = await startCollector(testConfig(dir, { MYSQL_DSN: db.goDsn }), { logger: pino({ level: 'silent' }) });
    const body = ['ck-1', 'ck-2', 'ck-3'].map((id, i) => JSON.stringify(smallRecord(id, { response_code: i === 1 ? 418 : 200 }))).join('\n');
    assert.equal((await post(`${c.url}/ingest`, body, 'application/x-ndjson')).status, 200);
    await queryOne(c, 'ck-3');
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ck-4')))).status, 200);
    await queryOne(c, 'ck-4');
    const rows = await db.rows<{ request_id: string; n: number }>('SELECT request_id, COUNT(*) AS n FROM access_logs GROUP BY request_id ORDER BY request_id');
    assert.deepEqual(rows.map((r) => [r.request_id, Number(r.n)]), [['ck-1', 1], ['ck-3', 1], ['ck-4', 1]]);
    const aside = readFileSync(join(dir, 'rejected.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(aside.length, 1);
    assert.equal(aside[0].record.request_id, 'ck-2');
    assert.equal(aside[0].record.response_code, 418);
    assert.match(aside[0].reason, /chk_code|CONSTRAINT/i);
    const m = await (await fetch(`${c.url}/metrics`)).text();
    assert.match(m, /^log_collector_records_set_aside_total 1$/m);
    // Set aside is settled too: nothing is left pending.
    await waitFor('nothing pending', async () => /^log_collector_pending_records 0$/m.test(await (await fetch(`${c!.url}/metrics`)).text()), 10_000);
  } finally {
    await c?.close();
    await db.drop();
    removeDir(dir);
  }
});
