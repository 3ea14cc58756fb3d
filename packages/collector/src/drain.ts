import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { describeDatabase, type CollectorConfig } from './config.js';
import { Drainer, drainerOptions } from './drainer/index.js';
import { createMetrics } from './metrics.js';
import { Spool } from './spool/spool.js';
import { createStore } from './store/index.js';

export interface DrainResult {
  /** Records written to the database by this run. */
  written: number;
  /** Bytes the spool still holds (0 once it is empty). */
  leftBytes: number;
}

/**
 * Empties the spool under `config.dataDir` into the configured database and returns: what
 * `log-collector drain` runs, for instance as a Kubernetes Job over the volume of a replica that
 * was scaled down. The same drainer as the service's writes each batch with its spool position in
 * one transaction, so a drain that is interrupted, repeated, or run over a spool partly written
 * already never stores a record twice. While the database is unreachable it keeps retrying until
 * `signal` aborts it (what is left stays in the spool).
 */
export async function drainSpool(config: CollectorConfig, log: Logger, signal?: AbortSignal): Promise<DrainResult> {
  const dir = join(config.dataDir, 'spool');
  // A mistyped directory must not pass for an empty spool.
  if (!existsSync(join(dir, 'spool-id'))) throw new Error(`no spool under ${config.dataDir} (expected ${join(dir, 'spool-id')})`);
  // Opening takes the spool's lock: a collector still running on this directory is refused.
  const spool = Spool.open(dir, { maxBytes: config.spoolMaxBytes, log });
  const store = createStore(config.database, log);
  const metrics = createMetrics(() => ({ pendingRecords: spool.pendingRecords, spoolBytes: spool.pendingBytes, databaseUp: drainer.dbReady }));
  const drainer = new Drainer(spool, store, drainerOptions(config), metrics, log);
  log.info({ spool: spool.id, dataDir: config.dataDir, db: describeDatabase(config.database), spoolBytes: spool.pendingBytes }, 'draining the spool into the database');
  const abort = () => void drainer.stop(0);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    drainer.start();
    // Stopping with no deadline: the drainer writes everything the spool holds, then ends.
    await drainer.stop(signal?.aborted ? 0 : Infinity);
    const written = (await metrics.recordsWritten.get()).values[0]?.value ?? 0;
    return { written, leftBytes: spool.pendingBytes };
  } finally {
    signal?.removeEventListener('abort', abort);
    await spool.close();
    await store.close();
  }
}
