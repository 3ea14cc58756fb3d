// The ClickHouse store on a private clickhouse-server (Debian's 18.16 here): records stored and
// read back exactly, a replayed batch never visible twice, retention by partition, the user's
// own table (a row it refuses set aside), the modern DDL and query text (DateTime64, LowCardinality, TTL) as generated.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { startCollector } from '../src/index.js';
import { ClickhouseStore, createTablesSql, isModern, parseClickhouseUrl } from '../src/store/clickhouse/index.js';
import { bindParams, withFinal } from '../src/store/clickhouse/sql.js';
import { rowKeys } from '../src/store/clickhouse/rows.js';
import { normalizeRecord } from '../src/ingest/normalize.js';
import { loadConfig } from '../src/config.js';
import { fullRecord, getJson, post, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';
import { chTestDatabase, clickhouseOrSkip, sharedClickhouse, type ChTestDatabase } from './clickhouse-helpers.js';

const silent = pino({ level: 'silent' });
const dbs: ChTestDatabase[] = [];
after(async () => {
  for (const d of dbs) await d.drop();
});

async function database(): Promise<ChTestDatabase> {
  const d = chTestDatabase(await sharedClickhouse());
  dbs.push(d);
  return d;
}

function storeFor(db: ChTestDatabase): ClickhouseStore {
  const cfg = loadConfig({ DATABASE_URL: db.url }, []).database;
  return new ClickhouseStore(cfg as Extract<typeof cfg, { kind: 'clickhouse' }>, silent);
}

test('DATABASE_URL=clickhouse://…: host, port, database, cluster; bad values named', () => {
  const c = parseClickhouseUrl(new URL('clickhouse://u:p%40ss@db.example:8124/logs?cluster=two'));
  assert.deepEqual(c, { kind: 'clickhouse', url: 'http://db.example:8124', host: 'db.example', port: 8124, user: 'u', password: 'p@ss', database: 'logs', cluster: 'two' });
  assert.equal(parseClickhouseUrl(new URL('clickhouses://h/db')).url, 'https://h:8443');
  assert.equal(parseClickhouseUrl(new URL('clickhouse://h')).database, 'default');
  assert.throws(() => loadConfig({ DATABASE_URL: 'clickhouse://h/db?compress=1' }, []), /unsupported parameter "compress"/);
  assert.throws(() => loadConfig({ DATABASE_URL: 'clickhouse://h/my-db' }, []), /unsupported database name "my-db"/);
  assert.throws(() => loadConfig({ DATABASE_URL: 'clickhouse://h/db?cluster=a;b' }, []), /unsupported cluster name/);
});

test('the modern DDL and the compatible one, chosen by version()', () => {
  assert.equal(isModern('18.16.1'), false);
  assert.equal(isModern('20.3.5.21'), true);
  assert.equal(isModern('24.8.1'), true);
  const [modern] = createTablesSql({ modern: true, database: 'd', retentionDays: 30 });
  assert.match(modern, /start_time DateTime64\(3, 'UTC'\)/);
  assert.match(modern, /model LowCardinality\(Nullable\(String\)\)/);
  assert.match(modern, /PARTITION BY toDate\(start_time\)/);
  assert.match(modern, /TTL toDateTime\(start_time\) \+ INTERVAL 30 DAY DELETE/);
  assert.match(modern, /ENGINE = ReplacingMergeTree\nPARTITION BY .*\nORDER BY \(start_time, spool_id, id\)/);
  const [old] = createTablesSql({ modern: false, database: 'd', retentionDays: 30 });
  assert.match(old, /start_time UInt64/);
  assert.doesNotMatch(old, /LowCardinality|DateTime64|TTL/);
  assert.match(old, /PARTITION BY toDate\(toDateTime\(intDiv\(start_time, 1000\)\)\)/);
  const sharded = createTablesSql({ modern: true, database: 'd', cluster: 'two' });
  assert.match(sharded[0], /CREATE TABLE IF NOT EXISTS d\.access_logs_local/);
  assert.match(sharded[1], /ENGINE = Distributed\(two, d, access_logs_local, cityHash64\(spool_id, id\)\)/);
});

test('the query text: times as DateTime64 literals on modern servers, epoch ms on old ones; FINAL; quoting', () => {
  const when = new Date(Date.UTC(2026, 2, 1, 0, 0, 0, 5));
  const sql = "SELECT COUNT(*) FROM access_logs WHERE start_time >= ? AND consumer = ? AND path <> '?' AND x IN (?, ?)";
  assert.equal(
    bindParams(withFinal(sql, 'access_logs'), [when, "o'k\\", 1, null], 'datetime64'),
    "SELECT COUNT(*) FROM access_logs FINAL WHERE start_time >= toDateTime64('2026-03-01 00:00:00.005', 3, 'UTC') AND consumer = 'o\\'k\\\\' AND path <> '?' AND x IN (1, NULL)",
  );
  assert.match(bindParams(sql, [when, 'a', 1, 2], 'epoch-ms'), /start_time >= 1772323200005 AND/);
  assert.match(bindParams(sql, [when, 'a', 1, 2], 'datetime'), /start_time >= toDateTime\('2026-03-01 00:00:00', 'UTC'\) AND/);
  assert.equal(withFinal('SELECT 1 FROM access_logs_spool_positions', 'access_logs'), 'SELECT 1 FROM access_logs_spool_positions');
  assert.throws(() => bindParams('SELECT ?', [], 'epoch-ms'), /more placeholders/);
});

test('row keys follow the spool: frame place plus index, increasing, the same on a replay', () => {
  const frames = [{ segment: 1, offset: 0, rows: 2 }, { segment: 1, offset: 900, rows: 1 }, { segment: 2, offset: 0, rows: 1 }];
  assert.deepEqual(rowKeys(frames, 4), [2 ** 32, 2 ** 32 + 1, 2 ** 32 + 900, 2 * 2 ** 32]);
  assert.throws(() => rowKeys(frames, 5), /describe 4 rows/);
});

test('ClickHouse: every field round-trips exactly through /query; the table is the one for the server version', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const db = await database();
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { DATABASE_URL: db.url }));
  try {
    const recs = Array.from({ length: 30 }, (_, i) => fullRecord(i, i));
    // What TabSeparated escapes, and its NULL marker as a string.
    recs[0].user_agent = 'tab\there\nnew\\N\rline\\';
    recs[1].user_agent = '\\N';
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(recs))).status, 200);
    const r = await waitFor('stored', async () => {
      const q = await getJson(`${c.url}/query?page_size=100&sort_by=request_id&sort_order=asc`);
      return q.json.total === 30 ? q : undefined;
    });
    const expected = recs.map((x) => normalizeRecord(x, 'test'));
    const byId = new Map(r.json.logs.map((l: any) => [l.request_id, l]));
    for (const [i, rec] of recs.entries()) {
      const got: any = byId.get(rec.request_id as string);
      assert.ok(got, String(rec.request_id));
      assert.equal(got.start_time, rec.start_time);
      assert.deepEqual(got.ai_log, rec.ai_log);
      assert.deepEqual(got.req_headers, rec.req_headers);
      assert.equal(got.path, expected[i][4]);
      assert.equal(got.user_agent, rec.user_agent);
      assert.equal(got.bytes_sent, rec.bytes_sent);
    }
    const [{ type }] = await db.rows<{ type: string }>(`SELECT type FROM system.columns WHERE database = '${db.name}' AND table = 'access_logs' AND name = 'start_time'`);
    const [{ v }] = await db.rows<{ v: string }>('SELECT version() AS v');
    assert.equal(type, isModern(v) ? "DateTime64(3, 'UTC')" : 'UInt64');
    const [{ engine }] = await db.rows<{ engine: string }>(`SELECT engine FROM system.tables WHERE database = '${db.name}' AND name = 'access_logs'`);
    assert.equal(engine, 'ReplacingMergeTree');
  } finally {
    await c.close();
    removeDir(dir);
  }
});

test('ClickHouse: a batch written again (a crash before its position was stored) is stored twice but visible once', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const db = await database();
  const store = storeFor(db);
  try {
    await store.init();
    const rows = [smallRecord('dup-1'), smallRecord('dup-2', { duration: 40 }), smallRecord('dup-3')].map((r) => normalizeRecord(r, 'test'));
    const frames = [{ segment: 3, offset: 100, rows: 2 }, { segment: 3, offset: 400, rows: 1 }];
    await store.writeBatch(rows, { spoolId: 's1', segment: 3, offset: 500 }, 1000, frames);
    // The replay reads the same frames, in a batch of another size.
    await store.writeBatch(rows.slice(0, 2), { spoolId: 's1', segment: 3, offset: 400 }, 1000, frames.slice(0, 1));
    await store.writeBatch(rows, { spoolId: 's1', segment: 3, offset: 500 }, 1000, frames);
    const [{ n }] = await db.rows<{ n: number }>(`SELECT count() AS n FROM ${db.name}.access_logs`);
    assert.equal(n, 8, 'the copies are in the table');
    const [{ total }] = await store.reader.all('SELECT COUNT(*) AS total FROM access_logs WHERE 1=1', []);
    assert.equal(Number(total), 3);
    const stats = await store.reader.all('SELECT SUM(duration) AS d FROM access_logs', []);
    assert.equal(Number(stats[0].d), 12 + 40 + 12);
    assert.deepEqual(await store.readPosition('s1'), { segment: 3, offset: 500 });
    // Another spool's rows at the same places are other rows.
    await store.writeBatch(rows, { spoolId: 's2', segment: 3, offset: 500 }, 1000, frames);
    const [{ total: both }] = await store.reader.all('SELECT COUNT(*) AS total FROM access_logs', []);
    assert.equal(Number(both), 6);
  } finally {
    await store.close();
  }
});

test('ClickHouse retention: whole days before the cutoff dropped, the cutoff day kept', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const db = await database();
  const store = storeFor(db);
  try {
    await store.init();
    const day = (d: number, id: string) => normalizeRecord(smallRecord(id, { start_time: new Date(Date.UTC(2026, 0, d, 23, 59, 59, 999)).toISOString() }), 'test');
    await store.writeBatch([day(1, 'a'), day(2, 'b'), day(2, 'c'), day(3, 'd')], { spoolId: 's', segment: 1, offset: 9 }, 100);
    assert.equal(await store.dropPartitionsBefore(Date.UTC(2026, 0, 3, 12)), 3);
    const left = await store.reader.all('SELECT request_id FROM access_logs ORDER BY request_id', []);
    assert.deepEqual(left.map((r) => r.request_id), ['d']);
  } finally {
    await store.close();
  }
});

test("ClickHouse: the user's own table (its columns, DateTime seconds); a row it refuses is set aside, the rest stored", async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const db = await database();
  await db.server.sql(`CREATE DATABASE ${db.name}`);
  await db.server.sql(`CREATE TABLE ${db.name}.access_logs (start_time DateTime, request_id String, response_code UInt16, duration Nullable(Int64), model Nullable(String)) ENGINE = MergeTree PARTITION BY toDate(start_time) ORDER BY start_time`);
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { DATABASE_URL: db.url }));
  try {
    const recs = Array.from({ length: 9 }, (_, i) => smallRecord(`own-${i}`, { start_time: `2026-02-0${i + 1}T10:00:00.750Z`, response_code: i === 4 ? null : 200 }));
    assert.equal((await post(`${c.url}/ingest`, recs.map((r) => JSON.stringify(r)).join('\n'), 'application/x-ndjson')).status, 200);
    const q = await waitFor('the good rows stored', async () => {
      const r = await getJson(`${c.url}/query?page_size=100&sort_by=start_time&sort_order=asc`);
      return r.json.total === 8 ? r : undefined;
    });
    assert.deepEqual(q.json.logs.map((l: any) => l.request_id), recs.filter((_, i) => i !== 4).map((r) => r.request_id));
    // A DateTime column keeps seconds: milliseconds are cut, as on the seed's MySQL table.
    assert.equal(q.json.logs[0].start_time, '2026-02-01T10:00:00.000Z');
    assert.equal(q.json.logs[0].path, null, 'a column the table lacks reads as null');
    const filtered = await getJson(`${c.url}/query?start_time=2026-02-03T10:00:00Z&end=2026-02-06T10:00:00Z`);
    assert.equal(filtered.json.total, 3, 'own-2, own-3 and own-5 (own-4 was refused)');
    const aside = await waitFor('the refused row set aside', () => {
      try {
        return readFileSync(join(dir, 'rejected.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      } catch {
        return undefined;
      }
    });
    assert.deepEqual(aside.map((a: any) => a.record.request_id), ['own-4']);
  } finally {
    await c.close();
    removeDir(dir);
  }
});
