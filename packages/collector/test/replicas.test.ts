// Replicas: several collectors, each with its own spool (DATA_DIR), writing into one database, one
// of them SIGKILLed during ingest and restarted on its spool. Every record any replica
// acknowledged is stored exactly once; each spool keeps its own committed position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { removeDir, spawnCollector, tempDir, waitFor, type ChildCollector } from './helpers.js';
import { BACKENDS, loadGenerator, sleep } from './durability-helpers.js';

const REPLICAS = 3;

for (const backend of BACKENDS) {
  test(`${REPLICAS} replicas with their own spools on one ${backend.name} database, one SIGKILLed: every acknowledged record stored exactly once`, async (t) => {
    const url = backend.urlOrSkip(t);
    if (!url) return;
    const db = await backend.create(url);
    const dirs = Array.from({ length: REPLICAS }, () => tempDir());
    // Flush thresholds longer than the time to the kill, so the killed replica's spool certainly
    // holds records it has acknowledged and not written.
    const envOf = (i: number) => ({ ...db.env(), DATA_DIR: dirs[i], FLUSH_INTERVAL_MS: '3000', FLUSH_SIZE: '10000', MAX_BATCH_ROWS: '10000' });
    // Started together: their first DDL on an empty database runs concurrently.
    const replicas: ChildCollector[] = await Promise.all(dirs.map((_, i) => spawnCollector(envOf(i))));
    const prefix = `rep-${backend.name === 'MariaDB' ? 'my' : 'pg'}`;
    const load = loadGenerator((w) => replicas[w % REPLICAS].url, prefix, 6);
    try {
      await sleep(1500);
      const victim = replicas[1];
      victim.child.kill('SIGKILL');
      await victim.exited;
      await sleep(500);
      replicas[1] = await spawnCollector(envOf(1));
      const restarted = replicas[1];
      await waitFor('the spool replay', () => restarted.output().includes('replaying the spool'), 10_000);
      await sleep(1000);
      await load.stop();
      assert.ok(load.acked.size > 100, `enough traffic (${load.acked.size} acknowledged)`);
      for (let w = 0; w < 6; w++) assert.ok([...load.acked].some((id) => id.startsWith(`${prefix}-${w}-`)), `replica ${w % REPLICAS} acknowledged records`);
      await waitFor(
        'every acknowledged record stored',
        async () => {
          const stored = await db.storedPerId(`${prefix}-`);
          return [...load.acked].every((id) => stored.has(id));
        },
        30_000,
        250,
      );
      for (const r of replicas) r.child.kill('SIGTERM');
      for (const r of replicas) assert.equal(await r.exited, 0, 'graceful exit on SIGTERM');
      const stored = await db.storedPerId(`${prefix}-`);
      assert.deepEqual([...stored].filter(([, n]) => n > 1), [], 'no record stored twice');
      assert.deepEqual([...load.acked].filter((id) => !stored.has(id)), [], 'no acknowledged record lost');
      assert.equal((await db.positions()).length, REPLICAS, 'one committed position per spool, the restarted one included');
    } finally {
      await load.stop();
      for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
      await Promise.all(replicas.map((r) => r.exited));
      await db.drop();
      for (const d of dirs) removeDir(d);
    }
  });
}
