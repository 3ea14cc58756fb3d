import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import type { LogStore } from '../store/types.js';

export interface RetentionOptions {
  /** Rows whose start_time is older than this many days are deleted; 0 keeps everything. */
  days: number;
  /** Rows per DELETE: small, so no statement holds locks (or SQLite's main thread) for long. */
  batchRows?: number;
  /** Time between passes. */
  intervalMs?: number;
  /** Pause between two batches of one pass, so the drainer's writes interleave with the deletes. */
  pauseMs?: number;
}

const DAY_MS = 86_400_000;
const DEFAULT_BATCH_ROWS = 1000;
const DEFAULT_INTERVAL_MS = 3_600_000;
const DEFAULT_PAUSE_MS = 50;
/** After a failed pass (database away), the next try comes sooner than the next hour. */
const RETRY_MS = 60_000;

/**
 * RETENTION_DAYS: a pass at start and then every hour deletes the rows older than the cutoff,
 * in batches of `batchRows` through the store's deleteOlderThan (LIMIT-ed DELETEs on MySQL and
 * SQLite, batches of row addresses on PostgreSQL), pausing between batches, until a batch
 * comes back short. Ingest never waits for it: records go to the spool either way, and the
 * drainer's transactions take turns with the short deletes.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly deleted: Counter;
  private readonly batchRows: number;
  private readonly intervalMs: number;
  private readonly pauseMs: number;

  constructor(
    private readonly store: LogStore,
    private readonly opts: RetentionOptions,
    registry: Registry,
    private readonly log: Logger,
  ) {
    this.batchRows = opts.batchRows ?? DEFAULT_BATCH_ROWS;
    this.intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.pauseMs = opts.pauseMs ?? DEFAULT_PAUSE_MS;
    this.deleted = new Counter({ name: 'log_collector_retention_deleted_total', help: 'Rows deleted for being older than RETENTION_DAYS', registers: [registry] });
  }

  get enabled(): boolean {
    return this.opts.days > 0;
  }

  start(): void {
    if (this.enabled && !this.stopped) this.schedule(0);
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => {
      this.running = this.pass().then((ok) => {
        this.running = undefined;
        if (!this.stopped) this.schedule(ok ? this.intervalMs : Math.min(RETRY_MS, this.intervalMs));
      });
    }, ms);
    this.timer.unref();
  }

  /** One pass: batches until none is full. Resolves false when the database failed. */
  private async pass(): Promise<boolean> {
    const cutoff = Date.now() - this.opts.days * DAY_MS;
    let total = 0;
    let batches = 0;
    try {
      while (!this.stopped) {
        const n = await this.store.deleteOlderThan(cutoff, this.batchRows);
        batches++;
        total += n;
        this.deleted.inc(n);
        if (n < this.batchRows) break;
        await new Promise((r) => setTimeout(r, this.pauseMs));
      }
      if (total > 0) this.log.info({ deleted: total, batches, before: new Date(cutoff).toISOString() }, 'retention: deleted old rows');
      return true;
    } catch (e) {
      this.log.warn({ err: (e as Error).message, deleted: total }, 'retention: deleting old rows failed; trying again later');
      return false;
    }
  }

  /** Stops the timer and waits for a running batch to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
