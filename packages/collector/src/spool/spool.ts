/**
 * The collector's write-ahead buffer (the pipeline's buffer between ingest and the drainer).
 *
 * On disk, under `DATA_DIR/spool`:
 * - `spool-id`: this spool's name (hex), written and fsynced before any record; the database
 *   keeps each spool's committed position under it.
 * - `lock`: the pid of the one process that may use the directory.
 * - `segment-NNNNNNNNNNNN.log`: numbered, append-only segment files, each a run of frames
 *   `u32le payload length | u32le crc32(payload) | payload` (frame.ts), the payload being the
 *   JSON array of one acknowledged request's rows.
 *
 * Invariants:
 * - A request is acknowledged only once its whole frame is durable (O_DSYNC writes, or
 *   fdatasync), and acknowledgements follow file order: no acknowledged frame lies behind a
 *   failed or partial one (after a failed write the segment is cut back and a new one begun).
 * - Each start writes to a fresh segment, so a torn tail left by a crash sits at the end of an
 *   older, sealed segment, where the reader detects it by checksum and drops it (it was never
 *   acknowledged).
 * - Frames are only appended, at growing (segment, offset) positions; the database holds, with
 *   each batch, the position just past it, so a replay from there never stores a row twice.
 * - A segment wholly before the committed position is deleted; the last one is always kept.
 *
 * The parts: segments.ts (the directory and its files), writer.ts (group-committed appends),
 * reader.ts (batches in order, fresh ones from cache.ts), ledger.ts (what is committed, and the
 * record counts); this façade is the only interface the rest of the collector uses.
 */
import { join } from 'node:path';
import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Row } from '../ingest/normalize.js';
import { FrameCache } from './cache.js';
import { encodeFrame } from './frame.js';
import { Ledger } from './ledger.js';
import { SpoolReader } from './reader.js';
import { Segments, spoolId, takeLock } from './segments.js';
import type { SpoolBatch, SpoolPosition } from './types.js';
import { SpoolWriter } from './writer.js';

export type { SpoolBatch, SpoolFrame, SpoolPosition } from './types.js';

/** The spool would grow past SPOOL_MAX_BYTES. */
export class SpoolFullError extends Error {
  override name = 'SpoolFullError';
}

export interface SpoolOptions {
  maxBytes: number;
  /** A new segment starts once the current one reaches this size. */
  segmentBytes?: number;
  log: Logger;
}

export class Spool {
  readonly id: string;
  private readonly maxBytes: number;
  private readonly segments: Segments;
  private readonly writer: SpoolWriter;
  private readonly reader: SpoolReader;
  private readonly ledger: Ledger;
  private listeners = new Set<() => void>();
  private lockPath: string;
  /** An append was refused for want of room since the last commit. */
  private refused = false;
  /** Records made durable and not yet handed to the reader (exact since the last rewind). */
  unreadRecords = 0;
  /** Time the oldest unread record was made durable (ms), null when nothing is unread. */
  unreadSince: number | null = null;
  /** Set when the reader is behind for a reason other than fresh appends (restart, rewind). */
  backlog = false;

  private constructor(dir: string, id: string, opts: SpoolOptions, existing: number[], lockPath: string) {
    this.id = id;
    this.maxBytes = opts.maxBytes;
    this.lockPath = lockPath;
    this.segments = new Segments(dir, existing, opts.log);
    const cache = new FrameCache();
    const firstSegment = (existing.at(-1) ?? 0) + 1;
    this.writer = new SpoolWriter(this.segments, firstSegment, opts.segmentBytes ?? 64 * 1024 * 1024, cache, opts.log, (records) => this.durable(records));
    const first = { segment: this.segments.first, offset: 0 };
    this.reader = new SpoolReader(this.segments, this.writer, cache, firstSegment, opts.log, first);
    this.ledger = new Ledger(first);
    this.backlog = existing.some((s) => (this.segments.size(s) ?? 0) > 0);
  }

  /** Opens (creating when needed) the spool in `dir`; refuses a directory another live process holds. */
  static open(dir: string, opts: SpoolOptions): Spool {
    fs.mkdirSync(dir, { recursive: true });
    const lockPath = join(dir, 'lock');
    takeLock(lockPath);
    const id = spoolId(dir);
    return new Spool(dir, id, opts, Segments.existing(dir), lockPath);
  }

  /**
   * Records appended since start and not yet known to be committed to the database, whether
   * waiting, being written or being retried. A backlog found in the spool at start is not
   * counted (frames do not say how many records they hold); pendingBytes covers it.
   */
  get pendingRecords(): number {
    return this.ledger.pendingRecords;
  }

  /** Bytes appended and not yet committed to the database. */
  get pendingBytes(): number {
    return this.segments.bytesFrom(this.ledger.committed);
  }

  /**
   * With `bytes`: true when that much more would exceed SPOOL_MAX_BYTES. Without: true when the
   * spool is at its bound or refused an append since the last commit (for readiness).
   */
  isFull(bytes?: number): boolean {
    const held = this.pendingBytes + this.writer.unackedBytes;
    if (bytes === undefined) return this.refused || held >= this.maxBytes;
    return held + bytes > this.maxBytes;
  }

  /** Called (synchronously) whenever new records become durable. */
  onAppend(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Appends one request's rows as a single frame and resolves once it is on disk.
   * Rejects with SpoolFullError, without writing, when the spool is at its bound.
   */
  append(rows: Row[]): Promise<void> {
    if (this.writer.closed) return Promise.reject(new Error('spool is closed'));
    const frame = encodeFrame(JSON.stringify(rows));
    if (this.isFull(frame.length)) {
      this.refused = true;
      return Promise.reject(new SpoolFullError(`spool holds ${this.pendingBytes} bytes (SPOOL_MAX_BYTES ${this.maxBytes})`));
    }
    return this.writer.append(frame, rows);
  }

  private durable(records: number): void {
    if (this.unreadSince === null) this.unreadSince = Date.now();
    this.unreadRecords += records;
    this.ledger.appended(records);
    for (const l of this.listeners) l();
  }

  /** Where the durable data ends. */
  get writePosition(): SpoolPosition {
    return this.writer.position;
  }

  hasUnread(): boolean {
    return this.reader.hasUnread();
  }

  /** Moves the reader to a committed position (from the database) and forgets what it read since. */
  rewind(pos: SpoolPosition | null): void {
    const first = this.segments.first;
    let p = pos ?? { segment: first, offset: 0 };
    // A position in a segment already deleted means everything before the oldest segment is committed.
    if (!this.segments.has(p.segment)) p = p.segment < first ? { segment: first, offset: 0 } : p;
    this.ledger.rewind(p);
    this.reader.position = { ...p };
    this.backlog = this.hasUnread();
    this.deleteBefore(p.segment);
  }

  /**
   * Reads whole frames from the read position, up to what is durable, until at least `maxRows`
   * rows are collected (see SpoolReader.read).
   */
  async readBatch(maxRows: number): Promise<SpoolBatch> {
    // Records durable from here on are "new" for the flush timer.
    this.unreadRecords = 0;
    this.unreadSince = null;
    const { rows, frames, fresh } = await this.reader.read(maxRows);
    // What is left behind the batch is due at once: it has waited at least as long as the batch.
    this.backlog = this.hasUnread();
    const end = { ...this.reader.position };
    this.ledger.handedOut(end, fresh);
    return { rows, frames, end: { ...end } };
  }

  /** Records that everything before `pos` is in the database; deletes wholly committed segments. */
  commit(pos: SpoolPosition): void {
    this.ledger.commit(pos);
    this.refused = false;
    this.deleteBefore(pos.segment);
  }

  private deleteBefore(segment: number): void {
    this.segments.deleteBefore(segment, (s) => this.reader.closeFd(s));
  }

  /** Waits for in-flight appends, then closes the files and releases the directory. */
  async close(): Promise<void> {
    await this.writer.close();
    this.reader.closeFd();
    try {
      fs.unlinkSync(this.lockPath);
    } catch {
      /* ignore */
    }
  }
}
