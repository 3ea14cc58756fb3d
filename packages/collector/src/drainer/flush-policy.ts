/** What the flush decisions read from the spool (facts; the spool decides nothing). */
export interface UnreadState {
  /** Records made durable and not yet handed to the drainer. */
  readonly unreadRecords: number;
  /** When the oldest of them was made durable (ms), null when none is unread. */
  readonly unreadSince: number | null;
  /** The drainer is behind for a reason other than fresh appends (restart, rewind). */
  readonly backlog: boolean;
}

export interface FlushOptions {
  flushSize: number;
  flushIntervalMs: number;
  maxBatchRows: number;
}

/** Most MAX_BATCH_ROWS statements in one transaction while the spool has a backlog. */
const STATEMENTS_PER_TRANSACTION = 4;

/**
 * Every FLUSH_SIZE / FLUSH_INTERVAL_MS / MAX_BATCH_ROWS decision of the drainer, in one place:
 * write once FLUSH_SIZE records are unread or the oldest has waited FLUSH_INTERVAL_MS (at once
 * with a backlog or when stopping); statements of at most MAX_BATCH_ROWS rows; with a backlog,
 * several statements per transaction (fewer commits, each a log flush in the database).
 */
export class FlushPolicy {
  constructor(private readonly o: FlushOptions) {}

  /** Whether newly durable records should wake an idle drainer. */
  wakeOnAppend(s: UnreadState, stopping: boolean): boolean {
    return s.unreadRecords >= this.o.flushSize || stopping;
  }

  /** How long to sleep when nothing is unread. */
  get idleMs(): number {
    return this.o.flushIntervalMs;
  }

  /** Milliseconds until what is unread is due for writing; 0 when it is due now. */
  waitMs(s: UnreadState, stopping: boolean, now = Date.now()): number {
    if (stopping || s.backlog || s.unreadRecords >= this.o.flushSize) return 0;
    return Math.max(0, (s.unreadSince ?? now) + this.o.flushIntervalMs - now);
  }

  /** Rows to read from the spool for one transaction. */
  batchRows(s: UnreadState): number {
    return s.backlog ? this.o.maxBatchRows * STATEMENTS_PER_TRANSACTION : this.o.maxBatchRows;
  }

  /** Most rows per statement. */
  get statementRows(): number {
    return this.o.maxBatchRows;
  }

  /** Whether to read and prepare the next batch while the current one is being written. */
  prepareAhead(s: UnreadState): boolean {
    return s.backlog || s.unreadRecords >= this.o.maxBatchRows;
  }
}
