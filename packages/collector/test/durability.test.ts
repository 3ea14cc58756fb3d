// Durability: a database outage through a TCP proxy we control, and SIGKILL of the real CLI during
// ingest. Every acknowledged record must end up stored exactly once.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCollector, type RunningCollector } from '../src/index.js';
import { createTestDatabase, getJson, mysqlUrlOrSkip, post, removeDir, smallRecord, spawnCollector, tempDir, testConfig, waitFor, type TestDatabase } from './helpers.js';
import { startProxy, type Proxy } from './tcp-proxy.js';

/**
 * Sends records until `stop()` from `workers` concurrent loops, alternating single objects and
 * NDJSON batches; remembers the request_ids of every acknowledged (2xx) request.
 */
function loadGenerator(urlOf: () => string, prefix: string, workers = 4) {
  const acked = new Set<string>();
  let running = true;
  let seq = 0;
  let errors = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const n = seq++ % 3 === 0 ? 5 : 1;
      const ids = Array.from({ length: n }, (_, k) => `${prefix}-${w}-${seq}-${k}`);
      const body = n === 1 ? JSON.stringify(smallRecord(ids[0])) : ids.map((id) => JSON.stringify(smallRecord(id))).join('\n');
      try {
        const r = await post(`${urlOf()}/ingest`, body, n === 1 ? 'application/json' : 'application/x-ndjson');
        if (r.status === 200) for (const id of ids) acked.add(id);
      } catch {
        errors++; // the collector was killed mid-request: not acknowledged
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  return {
    acked,
    errors: () => errors,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `body` against a collector whose MariaDB connection goes through a proxy the test
 * controls (skipped without TEST_MYSQL_URL), then tears everything down.
 */
async function withProxiedCollector(t: TestContext, env: Record<string, string>, body: (s: { c: RunningCollector; db: TestDatabase; proxy: Proxy }) => Promise<void>) {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const db = await createTestDatabase(url);
  const proxy = await startProxy(db.host, db.port);
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { MYSQL_DSN: `${db.user}${db.password ? ':' + db.password : ''}@tcp(127.0.0.1:${proxy.port})/${db.name}?timeout=2s`, ...env }));
  try {
    await body({ c, db, proxy });
  } finally {
    await c.close();
    await proxy.close();
    await db.drop();
    removeDir(dir);
  }
}

test('a database outage during steady ingest: every acknowledged record stored exactly once', (t) =>
  withProxiedCollector(t, { FLUSH_INTERVAL_MS: '100' }, async ({ c, db, proxy }) => {
    const load = loadGenerator(() => c.url, 'outage');
    await sleep(1000);
    proxy.cut();
    const ackedBeforeCut = load.acked.size;
    // While the database is away, ingest keeps being acknowledged from the spool, and /ready stays
    // 200 (the pod must stay in the Service) while its body and the metrics say the database is down.
    await waitFor('the database reported down', async () => (await getJson(`${c.url}/ready`)).json.database === false, 10_000);
    await sleep(3000);
    const ackedDuringCut = load.acked.size - ackedBeforeCut;
    const readyDuringCut = await getJson(`${c.url}/ready`);
    assert.equal(readyDuringCut.status, 200, 'ready while the spool has room, database or not');
    assert.equal(readyDuringCut.json.database, false);
    const metrics = await (await fetch(`${c.url}/metrics`)).text();
    assert.match(metrics, /^log_collector_database_up 0$/m);
    const pending = Number(/^log_collector_pending_records (\d+)/m.exec(metrics)![1]);
    proxy.restore();
    await sleep(1000);
    await load.stop();
    assert.ok(ackedDuringCut > 0, 'records were acknowledged during the outage');
    assert.ok(pending > 0, 'they were pending while the database was away');
    assert.match(metrics, /^log_collector_db_errors_total [1-9]/m);
    const total = load.acked.size;
    await waitFor(
      'every acknowledged record in the table',
      async () => (await db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM access_logs WHERE request_id LIKE 'outage-%'"))[0].n >= total,
      30_000,
      200,
    );
    await waitFor('the database reported up again', async () => (await getJson(`${c.url}/ready`)).json.database === true, 10_000);
    assert.match(await (await fetch(`${c.url}/metrics`)).text(), /^log_collector_database_up 1$/m);
    await c.close();
    const rows = await db.rows<{ request_id: string; n: number }>("SELECT request_id, COUNT(*) AS n FROM access_logs WHERE request_id LIKE 'outage-%' GROUP BY request_id");
    const dupes = rows.filter((r) => r.n > 1);
    assert.deepEqual(dupes, [], 'no record stored twice');
    const stored = new Set(rows.map((r) => r.request_id));
    const missing = [...load.acked].filter((id) => !stored.has(id));
    assert.deepEqual(missing, [], 'no acknowledged record lost');
    assert.equal(stored.size, total, 'nothing unacknowledged appeared');
  }),
);

/** The value of log_collector_pending_records. */
async function pendingRecords(base: string): Promise<number> {
  const m = /^log_collector_pending_records (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text());
  assert.ok(m, 'the pending-records gauge is exported');
  return Number(m[1]);
}

test('the pending-records gauge counts every accepted record not yet in the database, through an outage and its backlog', (t) =>
  withProxiedCollector(t, { FLUSH_INTERVAL_MS: '50', MAX_BATCH_ROWS: '200' }, async ({ c, db, proxy }) => {
    const stored = async () => (await db.rows<{ n: number }>("SELECT COUNT(*) AS n FROM access_logs WHERE request_id LIKE 'gauge-%'"))[0].n;
    const send = async (from: number, requests: number) => {
      for (let k = from; k < from + requests; k++) {
        const body = Array.from({ length: 100 }, (_, i) => JSON.stringify(smallRecord(`gauge-${k}-${i}`))).join('\n');
        assert.equal((await post(`${c.url}/ingest`, body, 'application/x-ndjson')).status, 200);
      }
    };
    await send(0, 3);
    await waitFor('the first 300 stored', async () => (await stored()) === 300);
    await waitFor('nothing pending', async () => (await pendingRecords(c.url)) === 0);
    proxy.cut();
    await send(3, 30);
    // The drainer has read batches of these and failed to write them: they are still pending.
    await waitFor('a failed write', async () => /^log_collector_db_errors_total [1-9]/m.test(await (await fetch(`${c.url}/metrics`)).text()));
    assert.equal(await pendingRecords(c.url), 3000);
    proxy.restore();
    // The backlog drains in transactions of at most 4 × 200 rows: the gauge follows the table
    // down, never below what is missing from it, and above it by at most the transaction whose
    // commit the collector has not heard of yet.
    let checks = 0;
    for (;;) {
      const before = await stored();
      const pending = await pendingRecords(c.url);
      const after = await stored();
      assert.ok(pending >= 3300 - after && pending <= 3300 - before + 800, `pending ${pending} with ${before}..${after} of 3300 stored`);
      checks++;
      if (after === 3300 && pending === 0) break;
      await sleep(20);
    }
    assert.ok(checks > 0);
  }),
);

test('a lost COMMIT acknowledgement: the batch is not written twice', (t) =>
  withProxiedCollector(t, { FLUSH_INTERVAL_MS: '50' }, async ({ c, db, proxy }) => {
    const count = async (id: string) => (await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM access_logs WHERE request_id = ?', [id]))[0].n;
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ack-a')))).status, 200);
    await waitFor('ack-a stored', async () => (await count('ack-a')) === 1);
    proxy.loseNextCommitAck();
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify([smallRecord('ack-b1'), smallRecord('ack-b2')]))).status, 200);
    await waitFor('the acknowledgement to be lost', () => proxy.lostAcks() === 1);
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('ack-c')))).status, 200);
    await waitFor('ack-c stored', async () => (await count('ack-c')) === 1, 30_000, 100);
    // The batch whose acknowledgement was lost is known to be in: nothing is left pending.
    await waitFor('nothing pending', async () => (await pendingRecords(c.url)) === 0);
    const m = await (await fetch(`${c.url}/metrics`)).text();
    assert.match(m, /^log_collector_db_errors_total [1-9]/m, 'the drainer saw the failure');
    await c.close();
    assert.equal(await count('ack-b1'), 1);
    assert.equal(await count('ack-b2'), 1);
    assert.equal(await count('ack-a'), 1);
  }),
);

async function crashRun(env: Record<string, string>, countIn: (dir: string) => Promise<Map<string, number>>, prefix: string) {
  const dir = tempDir();
  const countStored = () => countIn(dir);
  // Long flush thresholds, so the spool certainly holds unwritten records when the kill comes.
  const envAll = { DATA_DIR: dir, FLUSH_INTERVAL_MS: '1000', FLUSH_SIZE: '5000', MAX_BATCH_ROWS: '5000', ...env };
  let replays = 0;
  let col = await spawnCollector(envAll);
  let current = col.url;
  const load = loadGenerator(() => current, prefix, 6);
  try {
    // Two kills during ingest, each followed by a restart on the same DATA_DIR.
    for (let round = 0; round < 2; round++) {
      await sleep(1200);
      col.child.kill('SIGKILL');
      await col.exited;
      await sleep(300);
      col = await spawnCollector(envAll);
      current = col.url;
      const restarted = col;
      await waitFor('the spool replay', () => restarted.output().includes('replaying the spool'), 10_000);
      replays++;
    }
    assert.equal(replays, 2);
    await sleep(800);
    await load.stop();
    assert.ok(load.acked.size > 100, `enough traffic (${load.acked.size} acknowledged)`);
    const acked = load.acked;
    await waitFor(
      'every acknowledged record stored',
      async () => {
        const stored = await countStored();
        return [...acked].every((id) => stored.has(id));
      },
      30_000,
      250,
    );
    col.child.kill('SIGTERM');
    assert.equal(await col.exited, 0, 'graceful exit on SIGTERM');
    const stored = await countStored();
    const dupes = [...stored].filter(([, n]) => n > 1);
    assert.deepEqual(dupes, [], 'no record stored twice');
    assert.ok(stored.size >= acked.size);
    return { dir, acked: acked.size, errors: load.errors() };
  } finally {
    if (col.child.exitCode === null) col.child.kill('SIGKILL');
    await load.stop();
    removeDir(dir);
  }
}

test('SIGKILL during ingest on MariaDB: after restart every acknowledged record is stored exactly once', async (t) => {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const db = await createTestDatabase(url);
  try {
    await crashRun(
      { MYSQL_DSN: db.goDsn },
      async () => {
        const rows = await db.rows<{ request_id: string; n: number }>("SELECT request_id, COUNT(*) AS n FROM access_logs WHERE request_id LIKE 'crash-my-%' GROUP BY request_id").catch(() => []);
        return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
      },
      'crash-my',
    );
  } finally {
    await db.drop();
  }
});

test('SIGKILL during ingest on SQLite: after restart every acknowledged record is stored exactly once', async () => {
  await crashRun(
    {},
    async (dir) => {
      const db = new Database(join(dir, 'access_logs.db'), { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare("SELECT request_id, COUNT(*) AS n FROM access_logs WHERE request_id LIKE 'crash-sq-%' GROUP BY request_id").all() as { request_id: string; n: number }[];
        return new Map(rows.map((r) => [r.request_id, r.n]));
      } finally {
        db.close();
      }
    },
    'crash-sq',
  );
});

test('database unreachable: ingest is acknowledged from the spool until SPOOL_MAX_BYTES, then 503 with Retry-After', async () => {
  // A port where nothing listens: every connection attempt is refused at once.
  const blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  const port = (blocker.address() as net.AddressInfo).port;
  await new Promise<void>((r) => blocker.close(() => r()));
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { MYSQL_DSN: `root@tcp(127.0.0.1:${port})/nowhere?timeout=1s`, SPOOL_MAX_BYTES: '4kb', SHUTDOWN_TIMEOUT_MS: '300' }));
  try {
    const ready = await getJson(`${c.url}/ready`);
    assert.equal(ready.status, 200, 'ready: the spool has room although the database is down');
    assert.equal(ready.json.database, false);
    let accepted = 0;
    let refused: Awaited<ReturnType<typeof post>> | undefined;
    for (let i = 0; i < 100 && !refused; i++) {
      const r = await post(`${c.url}/ingest`, JSON.stringify(smallRecord(`full-${i}`)));
      if (r.status === 200) accepted++;
      else refused = r;
    }
    assert.ok(accepted > 0, 'accepted into the spool while the database is down');
    assert.ok(refused, 'refused once the spool is full');
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.match(refused.json.error, /spool full/);
    const full = await getJson(`${c.url}/ready`);
    assert.equal(full.status, 503);
    assert.equal(full.json.spool_full, true);
    assert.equal((await fetch(`${c.url}/health`)).status, 200, 'still alive');
    const q = await getJson(`${c.url}/query`);
    assert.equal(q.status, 503, 'query says the database is unavailable');
  } finally {
    await c.close();
    removeDir(dir);
  }
});
