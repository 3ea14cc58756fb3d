import { cmp, type SpoolPosition } from './types.js';

/** A batch handed to the reader and not yet known to be committed. */
interface Handed {
  end: SpoolPosition;
  /** Its rows appended since this process started (the ones pendingRecords counts). */
  fresh: number;
}

/** What the database holds of the spool: the committed position and the record counts. */
export class Ledger {
  committed: SpoolPosition;
  /** Records made durable since start, and those of them known to be committed to the database. */
  private appendedRecords = 0;
  private committedRecords = 0;
  /** Batches read since the last known commit, in order. */
  private handed: Handed[] = [];

  constructor(start: SpoolPosition) {
    this.committed = start;
  }

  get pendingRecords(): number {
    return this.appendedRecords - this.committedRecords;
  }

  appended(records: number): void {
    this.appendedRecords += records;
  }

  handedOut(end: SpoolPosition, fresh: number): void {
    this.handed.push({ end, fresh });
  }

  /** Everything before `pos` is in the database. */
  commit(pos: SpoolPosition): void {
    this.countCommitted(pos);
    this.committed = { ...pos };
  }

  /**
   * The database's position after an error: batches up to it went in even if their
   * acknowledgement was lost; the rest are read again.
   */
  rewind(pos: SpoolPosition): void {
    this.countCommitted(pos);
    this.handed = [];
    this.committed = { ...pos };
  }

  private countCommitted(pos: SpoolPosition): void {
    while (this.handed.length > 0 && cmp(this.handed[0].end, pos) <= 0) this.committedRecords += this.handed.shift()!.fresh;
  }
}
