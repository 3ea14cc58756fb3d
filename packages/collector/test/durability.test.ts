// Durability: a database outage through a TCP proxy we control, a lost COMMIT acknowledgement and
// SIGKILL of the real CLI during ingest, on MariaDB, PostgreSQL, ClickHouse and SQLite. Every acknowledged
// record must end up stored exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startCollector } from '../src/index.js';
import { getJson, post, removeDir, smallRecord, spawnCollector, tempDir, testConfig, waitFor } from './helpers.js';
import { BACKENDS, loadGenerator, pendingRecords, sleep, withProxiedCollector } from './durability-helpers.js';

for (const backend of BACKENDS) {
  test(`a ${backend.name} outage during steady ingest: every acknowledged record stored exactly once`, (t) =>
    withProxiedCollector(t, backend, { FLUSH_INTERVAL_MS: '100' }, async ({ c, db, proxy }) => {
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
        async () => (await db.countPrefix('outage-')) >= total,
        30_000,
        200,
      );
      await waitFor('the database reported up again', async () => (await getJson(`${c.url}/ready`)).json.database === true, 10_000);
      assert.match(await (await fetch(`${c.url}/metrics`)).text(), /^log_collector_database_up 1$/m);
      await c.close();
      const perId = await db.storedPerId('outage-');
      const dupes = [...perId].filter(([, n]) => n > 1);
      assert.deepEqual(dupes, [], 'no record stored twice');
      const stored = new Set(perId.keys());
      const missing = [...load.acked].filter((id) => !stored.has(id));
      assert.deepEqual(missing, [], 'no acknowledged record lost');
      assert.equal(stored.size, total, 'nothing unacknowledged appeared');
    }),
  );

  test(`the pending-records gauge counts every accepted record not yet in the database, through a ${backend.name} outage and its backlog`, (t) =>
    withProxiedCollector(t, backend, { FLUSH_INTERVAL_MS: '50', MAX_BATCH_ROWS: '200' }, async ({ c, db, proxy }) => {
      const stored = () => db.countPrefix('gauge-');
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

  test(`a lost COMMIT acknowledgement on ${backend.name}: the batch is not written twice`, (t) =>
    withProxiedCollector(t, backend, { FLUSH_INTERVAL_MS: '50' }, async ({ c, db, proxy }) => {
      const count = (id: string) => db.count(id);
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
}

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

for (const backend of BACKENDS) {
  test(`SIGKILL during ingest on ${backend.name}: after restart every acknowledged record is stored exactly once`, async (t) => {
    const url = backend.urlOrSkip(t);
    if (!url) return;
    const db = await backend.create(url);
    const prefix = backend === BACKENDS[0] ? 'crash-my' : 'crash-pg';
    try {
      await crashRun(db.env(), () => db.storedPerId(`${prefix}-`), prefix);
    } finally {
      await db.drop();
    }
  });
}

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
