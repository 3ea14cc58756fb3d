import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { FIELDS } from '@db-log-pusher/schema';
import type { Row } from '../ingest/normalize.js';
import type { Spool, SpoolBatch } from '../spool/spool.js';
import { BatchRejectedError, type CommitPosition, type LogStore } from '../store/types.js';
import type { CollectorConfig } from '../config.js';
import type { CollectorMetrics } from '../metrics.js';
import { FlushPolicy, type FlushOptions } from './flush-policy.js';

export interface DrainerOptions extends FlushOptions {
  /** Where rows the database refuses for their content are set aside (NDJSON). */
  rejectedFile: string;
}

interface Prepared {
  batch: SpoolBatch;
  write: (pos: CommitPosition) => Promise<void>;
}

/** The drainer's options from the configuration: FLUSH_SIZE, FLUSH_INTERVAL_MS, MAX_BATCH_ROWS. */
export function drainerOptions(config: CollectorConfig): DrainerOptions {
  return { flushSize: config.flushSize, flushIntervalMs: config.flushIntervalMs, maxBatchRows: config.maxBatchRows, rejectedFile: join(config.dataDir, 'rejected.ndjson') };
}

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 10_000;

/**
 * Moves records from the spool into the database, in order. It writes when its flush policy
 * (flush-policy.ts, the one place FLUSH_SIZE, FLUSH_INTERVAL_MS and MAX_BATCH_ROWS are decided
 * on) says so: once FLUSH_SIZE records are pending or the oldest has waited FLUSH_INTERVAL_MS;
 * while a write is in flight records pile up and the next batch takes them all (up to
 * MAX_BATCH_ROWS per statement), so batches grow with the load. Each batch and its spool position commit in one transaction; after any
 * error the drainer re-reads the committed position from the database and resumes from there,
 * which makes a lost commit acknowledgement harmless.
 */
export class Drainer {
  /** The database answered the last operation. */
  dbReady = false;
  private positioned = false;
  private stopping = false;
  private drainDeadline = Infinity;
  private wake: (() => void) | undefined;
  private stopWake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private backoff = MIN_BACKOFF_MS;
  private unsubscribe: () => void;
  private lastError = '';
  /** The next batch, read and prepared while the previous one was being written. */
  private ahead: Prepared | undefined;
  private readonly policy: FlushPolicy;

  constructor(
    private readonly spool: Spool,
    private readonly store: LogStore,
    private readonly opts: DrainerOptions,
    private readonly metrics: CollectorMetrics,
    private readonly log: Logger,
  ) {
    this.policy = new FlushPolicy(opts);
    this.unsubscribe = spool.onAppend(() => {
      if (this.wake && this.policy.wakeOnAppend(this.spool, this.stopping)) this.wake();
    });
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Waits `ms`. New records can cut a wait for the flush threshold short; a retry backoff is cut
   * short only by shutdown, so steady ingest cannot turn backoff into a busy retry loop.
   */
  private sleep(ms: number, backoff = false): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(t);
        self.wake = undefined;
        self.stopWake = undefined;
        resolve();
      }
      this.stopWake = done;
      this.wake = backoff ? undefined : done;
    });
  }

  private async run(): Promise<void> {
    while (!this.stopping || (Date.now() < this.drainDeadline && (this.spool.hasUnread() || !this.positioned || this.ahead))) {
      try {
        if (this.ahead) {
          await this.writeOne();
          continue;
        }
        if (!this.positioned) {
          await this.store.init();
          this.spool.rewind(await this.store.readPosition(this.spool.id));
          this.positioned = true;
          if (this.spool.backlog) this.log.info({ spoolBytes: this.spool.pendingBytes }, 'replaying the spool into the database');
          this.markOk();
          continue;
        }
        if (!this.spool.hasUnread()) {
          if (this.stopping) break;
          await this.sleep(this.policy.idleMs);
          continue;
        }
        const wait = this.policy.waitMs(this.spool, this.stopping);
        if (wait > 0) {
          await this.sleep(wait);
          continue;
        }
        await this.writeOne();
      } catch (e) {
        this.onError(e as Error);
        if (this.stopping && Date.now() >= this.drainDeadline) break;
        await this.sleep(Math.min(this.backoff, Math.max(0, this.drainDeadline - Date.now())), true);
        this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  /** Reads the next batch from the spool and does the store's CPU work for it. */
  private async take(): Promise<Prepared> {
    const batch = await this.spool.readBatch(this.policy.batchRows(this.spool));
    const max = this.policy.statementRows;
    const write = this.store.prepareBatch?.(batch.rows, max, batch.frames) ?? ((pos) => this.store.writeBatch(batch.rows, pos, max, batch.frames));
    return { batch, write };
  }

  private async writeOne(): Promise<void> {
    const cur = this.ahead ?? (await this.take());
    this.ahead = undefined;
    const end = this.metrics.dbWriteSeconds.startTimer();
    const writing = cur.write({ spoolId: this.spool.id, ...cur.batch.end });
    writing.catch(() => undefined); // handled below; avoids an unhandled rejection while we prepare
    // While the database works on this batch, prepare the next one if it is already due.
    if (this.policy.prepareAhead(this.spool)) {
      try {
        this.ahead = await this.take();
      } catch (e) {
        await writing.catch(() => undefined);
        throw e;
      }
    }
    let setAside = 0;
    try {
      await writing;
    } catch (e) {
      if (!(e instanceof BatchRejectedError) || !this.store.writeRowsSettingAside) throw e;
      // One row the table refuses must not hold up the rest: write row by row, setting the
      // refused ones aside in a file, then resume from the new position.
      this.ahead = undefined;
      this.log.error({ err: e.message, rows: cur.batch.rows.length }, 'the database refused a batch for its content; writing it row by row');
      setAside = await this.store.writeRowsSettingAside(cur.batch.rows, { spoolId: this.spool.id, ...cur.batch.end }, (rows, reason) => this.setAside(rows, reason), cur.batch.frames);
      this.metrics.recordsSetAside.inc(setAside);
      this.positioned = false;
    }
    end();
    this.spool.commit(cur.batch.end);
    this.metrics.batchRows.observe(cur.batch.rows.length);
    this.metrics.recordsWritten.inc(cur.batch.rows.length - setAside);
    this.markOk();
  }

  /** Appends refused rows, with the database's reason, to DATA_DIR/rejected.ndjson (fsynced). */
  private async setAside(rows: Row[], reason: string): Promise<void> {
    const at = new Date().toISOString();
    const lines = rows.map((r) => {
      const record: Record<string, unknown> = {};
      FIELDS.forEach((f, i) => {
        const v = r[i];
        if (v !== null && v !== undefined) record[f.name] = (f.json === 'object' || f.json === 'string-map') && typeof v === 'string' ? JSON.parse(v) : v;
      });
      return JSON.stringify({ set_aside_at: at, reason, record });
    });
    const fh = await open(this.opts.rejectedFile, 'a');
    try {
      await fh.appendFile(lines.join('\n') + '\n');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    this.log.error({ rows: rows.length, file: this.opts.rejectedFile, reason }, 'records refused by the database were set aside');
  }

  private markOk(): void {
    if (!this.dbReady && this.lastError) this.log.info({ db: this.store.description }, 'database reachable again; draining the spool');
    this.dbReady = true;
    this.lastError = '';
    this.backoff = MIN_BACKOFF_MS;
  }

  private onError(e: Error): void {
    this.metrics.dbErrors.inc();
    this.ahead = undefined;
    this.dbReady = false;
    // Resume from what the database says is committed: the failed batch may or may not be in.
    this.positioned = false;
    const msg = e.message || String(e);
    if (msg !== this.lastError) this.log.error({ err: msg, db: this.store.description, retryInMs: this.backoff }, 'database write failed; records stay in the spool and are retried');
    this.lastError = msg;
  }

  /**
   * Stops taking new work and drains what the spool holds for at most `timeoutMs`; what is left
   * stays in the spool for the next start.
   */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.drainDeadline = Date.now() + timeoutMs;
    this.stopWake?.();
    await this.loop;
    this.unsubscribe();
  }

  /** Nudges an idle drainer (a flush is due or shutdown began). */
  poke(): void {
    this.wake?.();
  }
}
