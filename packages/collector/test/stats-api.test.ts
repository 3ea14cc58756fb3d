// GET /stats (and /query) over HTTP on a real collector: the same answers with SQLite, MariaDB,
// PostgreSQL and ClickHouse behind it, the /query filters applied, bad parameters named, QUERY_TOKEN enforced.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, type RunningCollector } from '../src/index.js';
import { sampleRecords } from '../src/stats/index.js';
import { createTestDatabase, getJson, post, removeDir, tempDir, testConfig, waitFor, type TestDatabase } from './helpers.js';
import { createPgTestDatabase, type PgTestDatabase } from './postgres-helpers.js';
import { chTestDatabase, clickhouseOrSkip, sharedClickhouse, type ChTestDatabase } from './clickhouse-helpers.js';

const TOKEN = 'stats-token';
const AUTH = { authorization: `Bearer ${TOKEN}` };
const START = Date.UTC(2026, 2, 1, 0, 0, 0);
const RECORDS = sampleRecords({ count: 400, seed: 11, startMs: START + 500, spanMs: 4 * 3600_000 - 1000 });

const dirs: string[] = [];
let lite: RunningCollector;
let my: RunningCollector | null = null;
let db: TestDatabase | null = null;
let pgc: RunningCollector | null = null;
let pgDb: PgTestDatabase | null = null;
let chc: RunningCollector | null = null;
let chDb: ChTestDatabase | null = null;
let chSkip = '';

async function load(c: RunningCollector): Promise<void> {
  const r = await post(`${c.url}/ingest`, RECORDS.map((x) => JSON.stringify(x)).join('\n'), 'application/x-ndjson');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await waitFor('records stored', async () => (await getJson(`${c.url}/query?page_size=1`, AUTH)).json.total === RECORDS.length);
}

before(async () => {
  const d = tempDir();
  dirs.push(d);
  lite = await startCollector(testConfig(d, { QUERY_TOKEN: TOKEN }));
  await load(lite);
  if (clickhouseOrSkip({ skip: (m?: string) => void (chSkip = String(m)) })) {
    chDb = chTestDatabase(await sharedClickhouse());
    const d4 = tempDir();
    dirs.push(d4);
    chc = await startCollector(testConfig(d4, { QUERY_TOKEN: TOKEN, DATABASE_URL: chDb.url }));
    await load(chc);
  }
  const pgUrl = process.env.TEST_POSTGRES_URL;
  if (pgUrl) {
    pgDb = await createPgTestDatabase(pgUrl);
    const d3 = tempDir();
    dirs.push(d3);
    pgc = await startCollector(testConfig(d3, { QUERY_TOKEN: TOKEN, DATABASE_URL: pgDb.url }));
    await load(pgc);
  } else if (process.env.CI) throw new Error('TEST_POSTGRES_URL is not set in CI; the PostgreSQL tests must run');
  const url = process.env.TEST_MYSQL_URL;
  if (!url) {
    if (process.env.CI) throw new Error('TEST_MYSQL_URL is not set in CI; the MySQL tests must run');
    return;
  }
  db = await createTestDatabase(url);
  const d2 = tempDir();
  dirs.push(d2);
  my = await startCollector(testConfig(d2, { QUERY_TOKEN: TOKEN, DATABASE_URL: db.url }));
  await load(my);
});

after(async () => {
  await lite?.close();
  await my?.close();
  await db?.drop();
  await pgc?.close();
  await pgDb?.drop();
  await chc?.close();
  await chDb?.drop();
  for (const d of dirs) removeDir(d);
});

/** GET `path` on every collector: the SQLite answer, after checking the others give the same. */
async function onEvery(path: string, t: { skip: (m: string) => void }): Promise<any> {
  const a = await getJson(`${lite.url}${path}`, AUTH);
  assert.equal(a.status, 200, JSON.stringify(a.json));
  const skipped: string[] = [];
  for (const [name, c] of [['MariaDB', my], ['PostgreSQL', pgc], ['ClickHouse', chc]] as const) {
    if (!c) {
      skipped.push(name === 'ClickHouse' ? chSkip : `${name === 'MariaDB' ? 'TEST_MYSQL_URL' : 'TEST_POSTGRES_URL'} is not set: the ${name} half is skipped`);
      continue;
    }
    const b = await getJson(`${c.url}${path}`, AUTH);
    assert.equal(b.status, 200, JSON.stringify(b.json));
    assert.deepEqual(b.json, a.json, `SQLite and ${name} disagree on ${path}`);
  }
  if (skipped.length) t.skip(skipped.join('; '));
  return a.json;
}

const stats = (qs: string, t: { skip: (m: string) => void }) => onEvery(`/stats?${qs}`, t);

test('KPIs, groups and series with /query filters, identical on SQLite, MariaDB, PostgreSQL and ClickHouse', async (t) => {
  const start = new Date(START).toISOString();
  const end = new Date(START + 2 * 3600_000 - 1).toISOString();
  const r = await stats(`start_time=${start}&end=${end}&consumer=team-b&group_by=model&interval=15m`, t);
  const rs = RECORDS.filter((x) => x.consumer === 'team-b' && Date.parse(x.start_time!) <= Date.parse(end));
  assert.equal(r.kpis.pv, rs.length);
  assert.equal(r.kpis.total_tokens, rs.reduce((a, x) => a + (x.total_tokens ?? 0), 0));
  assert.equal(r.kpis.errors_5xx, rs.filter((x) => x.response_code! >= 500).length);
  assert.equal(r.kpis.fallback_count, rs.filter((x) => x.ai_log && 'fallback_from' in x.ai_log).length);
  assert.equal(r.timestamps.length, 8);
  assert.equal(r.timestamps[0], START / 1000);
  const top = r.groups[0];
  assert.equal(top.requests, rs.filter((x) => (x.model ?? null) === top.key).length);
  const s = r.series.find((x: any) => x.key === top.key);
  assert.equal(s.values.requests.reduce((a: number, b: number) => a + b, 0), top.requests);
  assert.equal(r.range.start, start);
});

test('group_by response_code and path/status filters', async (t) => {
  const r = await stats('group_by=response_code&path=chat', t);
  const rs = RECORDS.filter((x) => x.path!.includes('chat'));
  assert.equal(r.kpis.requests, rs.length);
  assert.deepEqual(
    r.groups.map((g: any) => [g.key, g.requests]).sort(),
    [...new Set(rs.map((x) => x.response_code))].map((c) => [c, rs.filter((x) => x.response_code === c).length]).sort(),
  );
  const only = await stats('status=429', t);
  assert.equal(only.kpis.errors, RECORDS.filter((x) => x.response_code === 429).length);
  assert.equal(only.kpis.errors_5xx, 0);
});

test('/query pages are the same on every store: filters, sorting (NULLs included) and paging', async (t) => {
  const strip = (j: any) => ({ ...j, logs: j.logs.map(({ id: _id, ...rest }: any) => rest) });
  for (const qs of ['page_size=7&sort_by=duration&sort_order=asc', 'page=3&page_size=5&sort_by=response_code', 'consumer=team-b&path=chat&page_size=100', 'status=429&sort_by=start_time&sort_order=asc']) {
    const a = await getJson(`${lite.url}/query?${qs}`, AUTH);
    assert.equal(a.status, 200);
    assert.ok(a.json.total > 0, qs);
    for (const c of [my, pgc, chc]) {
      if (!c) continue;
      const b = await getJson(`${c.url}/query?${qs}`, AUTH);
      assert.deepEqual(strip(b.json), strip(a.json), `/query?${qs}`);
    }
  }
  if (!my || !pgc || !chc) t.skip('a database is not available: only the stores that run were compared');
});

test('bad parameters: one 400 naming each of them', async () => {
  const r = await getJson(`${lite.url}/stats?group_by=user_agent&interval=fortnight&start_time=yesterday&limit=500`, AUTH);
  assert.equal(r.status, 400);
  assert.equal(r.json.status, 'error');
  for (const p of ['group_by', 'interval', 'start_time', 'limit']) assert.match(r.json.error, new RegExp(p));
  const many = await getJson(`${lite.url}/stats?interval=1s&start_time=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z`, AUTH);
  assert.equal(many.status, 400);
  assert.match(many.json.error, /interval: 86401 buckets/);
  const order = await getJson(`${lite.url}/stats?start_time=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z`, AUTH);
  assert.equal(order.status, 400);
  assert.equal(order.json.param, 'end');
});

test('QUERY_TOKEN guards /stats; the dashboard files are public and do not shadow the API', async () => {
  assert.equal((await getJson(`${lite.url}/stats`)).status, 401);
  assert.equal((await getJson(`${lite.url}/stats`, { authorization: 'Bearer wrong' })).status, 401);
  const page = await fetch(`${lite.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<div id="app">/);
  const nav = await fetch(`${lite.url}/logs/deep/link`, { headers: { accept: 'text/html' } });
  assert.equal(nav.status, 200);
  assert.match(await nav.text(), /<div id="app">/);
  assert.equal((await fetch(`${lite.url}/missing.js`)).status, 404);
  const health = await fetch(`${lite.url}/health`, { headers: { accept: 'text/html' } });
  assert.equal(await health.text(), 'ok');
  assert.equal((await getJson(`${lite.url}/query`, { accept: 'text/html' })).status, 401);
});
