// ClickHouse sharded: two private servers in one remote_servers cluster, the collector writing
// through a Distributed table over access_logs_local on both, sharded by the record key.
// Every record is read back through it once, both shards hold some, /stats agrees with SQLite,
// and a batch written twice is visible once (its copies meet on one shard).
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { startCollector, type RunningCollector } from '../src/index.js';
import { ClickhouseStore } from '../src/store/clickhouse/index.js';
import { normalizeRecord } from '../src/ingest/normalize.js';
import { loadConfig } from '../src/config.js';
import { sampleRecords } from '../src/stats/index.js';
import { getJson, post, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';
import { chTestDatabase, clickhouseCommand, clickhouseOrSkip, startTwoShards, type ClickhouseServer } from './clickhouse-helpers.js';

const RECORDS = sampleRecords({ count: 300, seed: 5, startMs: Date.UTC(2026, 3, 1), spanMs: 3 * 86400_000 });
let shards: ClickhouseServer[] = [];
const dirs: string[] = [];
let dist: RunningCollector | undefined;
let lite: RunningCollector | undefined;
let dbName = '';

function store(server: ClickhouseServer): ClickhouseStore {
  const cfg = loadConfig({ DATABASE_URL: `clickhouse://default@127.0.0.1:${server.httpPort}/${dbName}?cluster=two` }, []).database;
  return new ClickhouseStore(cfg as Extract<typeof cfg, { kind: 'clickhouse' }>, pino({ level: 'silent' }));
}

before(async () => {
  if (!clickhouseCommand()) return;
  shards = await startTwoShards();
  dbName = chTestDatabase(shards[0]).name;
  // Each shard needs its access_logs_local: the store's init creates it on the server it talks to.
  const second = store(shards[1]);
  await second.init();
  await second.close();
});

after(async () => {
  await dist?.close();
  await lite?.close();
  for (const s of shards) await s.stop();
  for (const d of dirs) removeDir(d);
});

async function load(c: RunningCollector): Promise<void> {
  assert.equal((await post(`${c.url}/ingest`, RECORDS.map((x) => JSON.stringify(x)).join('\n'), 'application/x-ndjson')).status, 200);
  await waitFor('records stored', async () => (await getJson(`${c.url}/query?page_size=1`)).json.total === RECORDS.length);
}

test('through a Distributed table over two servers: every record read back once, both shards hold some, /stats as on SQLite', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const d1 = tempDir();
  const d2 = tempDir();
  dirs.push(d1, d2);
  dist = await startCollector(testConfig(d1, { DATABASE_URL: `clickhouse://default@127.0.0.1:${shards[0].httpPort}/${dbName}?cluster=two` }));
  lite = await startCollector(testConfig(d2));
  await Promise.all([load(dist), load(lite)]);
  const ids = new Map<string, number>();
  for (let page = 1; page <= 3; page++) {
    const q = await getJson(`${dist.url}/query?page_size=100&page=${page}&sort_by=request_id&sort_order=asc`);
    for (const l of q.json.logs) ids.set(l.request_id, (ids.get(l.request_id) ?? 0) + 1);
  }
  assert.equal(ids.size, RECORDS.length, 'every record read back through the Distributed table');
  assert.deepEqual([...ids].filter(([, n]) => n > 1), [], 'none twice');
  const perShard = await Promise.all(shards.map(async (s) => Number((await s.sql(`SELECT count() FROM ${dbName}.access_logs_local`)).trim())));
  assert.equal(perShard[0] + perShard[1], RECORDS.length);
  assert.ok(perShard[0] > 0 && perShard[1] > 0, `both shards hold rows (${perShard})`);
  for (const qs of ['group_by=model&interval=6h', 'group_by=response_code&consumer=team-a', 'interval=1d&path=chat']) {
    const a = await getJson(`${lite.url}/stats?${qs}`);
    const b = await getJson(`${dist.url}/stats?${qs}`);
    assert.equal(b.status, 200, JSON.stringify(b.json));
    assert.deepEqual(b.json, a.json, `/stats?${qs}`);
  }
});

test('a batch written twice through the Distributed table is visible once: its copies meet on one shard', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const s = store(shards[0]);
  try {
    await s.init();
    const rows = Array.from({ length: 40 }, (_, i) => normalizeRecord(smallRecord(`twice-${i}`), 'test'));
    const frames = [{ segment: 9, offset: 0, rows: 40 }];
    await s.writeBatch(rows, { spoolId: 'replayed', segment: 9, offset: 5000 }, 1000, frames);
    await s.writeBatch(rows, { spoolId: 'replayed', segment: 9, offset: 5000 }, 1000, frames);
    const raw = await Promise.all(shards.map(async (x) => Number((await x.sql(`SELECT count() FROM ${dbName}.access_logs_local WHERE spool_id = 'replayed'`)).trim())));
    assert.equal(raw[0] + raw[1], 80, 'both copies stored');
    assert.ok(raw[0] > 0 && raw[1] > 0, 'spread over both shards');
    const [r] = await s.reader.all("SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS u FROM access_logs WHERE startsWith(request_id, 'twice-')", []);
    assert.deepEqual([Number(r.n), Number(r.u)], [40, 40]);
  } finally {
    await s.close();
  }
});
