import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Row } from '../ingest/normalize.js';
import type { FrameCache } from './cache.js';
import { O_DSYNC, type Segments } from './segments.js';
import type { SpoolPosition } from './types.js';

/**
 * Writes (each a group of requests) that may be in flight at once. Two keep one sync's latency
 * from stalling the next group; more split a busy stream into many small synced writes, each
 * costing a thread-pool hop and a journal commit, for no more throughput.
 */
const MAX_WRITES_IN_FLIGHT = 2;

interface Flight {
  start: number;
  /** Segment offset just past this write. */
  end: number;
  batch: Waiter[];
  done: boolean;
  err?: Error;
}

interface Waiter {
  frame: Buffer;
  rows: Row[];
  resolve: () => void;
  reject: (e: Error) => void;
}

/**
 * The group-committing appender of the active segment. The requests of one event-loop turn, and
 * all that arrive while earlier writes are syncing, share one synchronous (O_DSYNC) write, and
 * each append resolves only once its bytes are durable.
 */
export class SpoolWriter {
  /** The active segment, and the acknowledged (durable) end of it. */
  segment: number;
  offset = 0;
  closed = false;
  private fd: number;
  /** End of the bytes handed to writes (durable or not); offset is the acknowledged end. */
  private reservedOff = 0;
  private queue: Waiter[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private flights: Flight[] = [];
  /** A write failed: later writes are refused until the ones in flight finish. */
  private broken = false;

  constructor(
    private readonly segments: Segments,
    first: number,
    private readonly segmentBytes: number,
    private readonly cache: FrameCache,
    private readonly log: Logger,
    /** Called (synchronously) with the number of records each time some become durable. */
    private readonly onDurable: (records: number) => void,
  ) {
    this.segment = first;
    this.fd = segments.create(first);
  }

  /** Where the durable data ends. */
  get position(): SpoolPosition {
    return { segment: this.segment, offset: this.offset };
  }

  /** Bytes queued or being written, not yet durable. */
  get unackedBytes(): number {
    return this.reservedOff - this.offset + this.queuedBytes;
  }

  get idle(): boolean {
    return this.flights.length === 0 && this.queue.length === 0 && !this.scheduled;
  }

  append(frame: Buffer, rows: Row[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, rows, resolve, reject });
      this.queuedBytes += frame.length;
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // Let the requests of this event-loop turn join the same write.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /**
   * Starts writes for what is queued. Segments are opened with O_DSYNC, so a write returns once
   * its bytes are durable; up to MAX_WRITES_IN_FLIGHT run at once at their reserved offsets so that
   * one sync's latency does not stall the next group. Waiters are acknowledged strictly in
   * file order (see settle), so no acknowledged frame can sit behind a failed one.
   */
  private pump(): void {
    while (this.queue.length > 0 && this.flights.length < MAX_WRITES_IN_FLIGHT && !this.broken) {
      if (this.reservedOff >= this.segmentBytes) {
        if (this.flights.length > 0) return; // rotate once the writes to this segment are done
        this.rotate();
      }
      const batch = this.queue;
      const bytes = this.queuedBytes;
      this.queue = [];
      this.queuedBytes = 0;
      // One positional writev of the frames as they are: no copy into one large buffer.
      const frames = batch.map((w) => w.frame);
      const flight: Flight = { start: this.reservedOff, end: this.reservedOff + bytes, batch, done: false };
      const start = this.reservedOff;
      this.reservedOff = flight.end;
      this.flights.push(flight);
      const fd = this.fd;
      const finish = (err?: Error | null) => {
        if (err) flight.err = err;
        flight.done = true;
        this.settle();
      };
      fs.writev(fd, frames, start, (err, written) => {
        if (err || written !== bytes) return finish(err ?? new Error(`short spool write (${written} of ${bytes} bytes)`));
        if (O_DSYNC) finish();
        else fs.fdatasync(fd, finish); // platforms without O_DSYNC
      });
    }
  }

  /** Acknowledges finished writes in file order; after a failure, refuses everything behind it. */
  private settle(): void {
    let records = 0;
    while (this.flights.length > 0 && this.flights[0].done) {
      const f = this.flights.shift()!;
      if (f.err && !this.broken) {
        this.broken = true;
        this.log.error({ err: f.err, segment: this.segment }, 'spool write failed; refusing the requests involved');
      }
      if (this.broken) {
        for (const w of f.batch) w.reject(f.err ?? new Error('an earlier spool write failed'));
        continue;
      }
      this.offset = f.end;
      let at = f.start;
      for (const w of f.batch) {
        records += w.rows.length;
        this.cache.offer(this.segment, at, w.rows, w.frame.length);
        at += w.frame.length;
        w.resolve();
      }
    }
    if (records > 0) {
      this.segments.setSize(this.segment, this.offset);
      this.onDurable(records);
    }
    if (this.broken && this.flights.length === 0) {
      // Cut the segment back to what was acknowledged and continue in a fresh one, so that no
      // partly written bytes sit before later frames.
      try {
        fs.ftruncateSync(this.fd, this.offset);
      } catch {
        /* the segment is sealed at offset below regardless */
      }
      this.segments.setSize(this.segment, this.offset);
      this.rotate();
      this.broken = false;
    }
    if (this.closed) for (const w of this.queue.splice(0)) w.reject(new Error('spool is closed'));
    else if (this.queue.length > 0) this.pump();
  }

  private rotate(): void {
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    this.segment += 1;
    this.offset = 0;
    this.reservedOff = 0;
    this.fd = this.segments.create(this.segment);
  }

  /** Waits for in-flight appends, then closes the active segment (dropping it when empty). */
  async close(): Promise<void> {
    while (!this.idle) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* already closed */
    }
    // Drop an empty active segment so idle restarts do not leave files behind.
    if (this.offset === 0 && this.segments.list.length > 1) {
      try {
        fs.unlinkSync(this.segments.path(this.segment));
      } catch {
        /* ignore */
      }
    }
  }
}
