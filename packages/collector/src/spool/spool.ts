import fs from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Row } from '../ingest/normalize.js';
import { encodeFrame, readFrame } from './frame.js';

/** A place in the spool: a segment number and a byte offset inside it. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

/** Where one frame (one accepted request) of a batch starts, and how many rows it holds. */
export interface SpoolFrame {
  segment: number;
  offset: number;
  rows: number;
}

export interface SpoolBatch {
  rows: Row[];
  /** The batch's frames in order: a row's place in the spool, for stores that key rows by it. */
  frames: SpoolFrame[];
  /** Position just past the last frame in the batch: what to commit with the rows. */
  end: SpoolPosition;
}

/** A batch handed to the reader and not yet known to be committed. */
interface Handed {
  end: SpoolPosition;
  /** Its rows appended since this process started (the ones pendingRecords counts). */
  fresh: number;
}

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

/**
 * Rows of acknowledged frames kept in memory for the reader, so fresh records are not read back
 * and parsed again. Past this many, frames are read from disk (a backlog while the database is
 * down must not grow the heap).
 */
const CACHE_MAX_ROWS = 20_000;
/** Segments stay far below 2^32 bytes, so segment and offset fit one exact number. */
const cacheKey = (segment: number, offset: number) => segment * 4_294_967_296 + offset;

const O_DSYNC: number | undefined = fs.constants.O_DSYNC;

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
  records: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

const SEGMENT_RE = /^segment-(\d{12})\.log$/;
const segName = (n: number) => `segment-${String(n).padStart(12, '0')}.log`;
const READ_CHUNK = 4 * 1024 * 1024;

function cmp(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}

/**
 * The collector's write-ahead buffer: an append-only log of framed, checksummed records in
 * numbered segment files under `DATA_DIR/spool`. Appends are group-committed: the requests of
 * one event-loop turn, and all that arrive while earlier writes are syncing, share one
 * synchronous (O_DSYNC) write, and each append resolves only once its bytes are durable.
 *
 * Each start writes to a fresh segment, so a torn tail left by a crash stays at the end of an
 * older, sealed segment, where the reader detects it by checksum and drops it (it was never
 * acknowledged). Segments wholly before the committed position are deleted.
 */
export class Spool {
  readonly id: string;
  private readonly dir: string;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly log: Logger;
  /** Existing segments, ascending, and their sizes in bytes (durable size for the active one). */
  private readonly sizes = new Map<number, number>();
  private segments: number[] = [];
  private writeSeg: number;
  private writeFd: number;
  private writeOff = 0;
  /** End of the bytes handed to writes (durable or not); writeOff is the acknowledged end. */
  private reservedOff = 0;
  private queue: Waiter[] = [];
  private queuedBytes = 0;
  private scheduled = false;
  private flights: Flight[] = [];
  private cache = new Map<number, { rows: Row[]; size: number }>();
  private cachedRows = 0;
  /** A write failed: later writes are refused until the ones in flight finish. */
  private broken = false;
  private closed = false;
  private readPos: SpoolPosition;
  private readFd: { segment: number; fd: number } | undefined;
  private committed: SpoolPosition;
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
  /** The first segment this process writes: frames from here on were appended since start. */
  private readonly firstSegment: number;
  /** Records made durable since start, and those of them known to be committed to the database. */
  private appendedRecords = 0;
  private committedRecords = 0;
  /** Batches read since the last known commit, in order. */
  private handed: Handed[] = [];

  private constructor(dir: string, id: string, opts: SpoolOptions, existing: number[], lockPath: string) {
    this.dir = dir;
    this.id = id;
    this.maxBytes = opts.maxBytes;
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.log = opts.log;
    this.lockPath = lockPath;
    for (const s of existing) this.sizes.set(s, fs.statSync(join(dir, segName(s))).size);
    this.segments = [...existing];
    this.writeSeg = (existing.at(-1) ?? 0) + 1;
    this.writeFd = this.createSegment(this.writeSeg);
    this.firstSegment = this.writeSeg;
    const first = { segment: this.segments[0], offset: 0 };
    this.readPos = first;
    this.committed = first;
    this.backlog = existing.some((s) => (this.sizes.get(s) ?? 0) > 0);
  }

  /** Opens (creating when needed) the spool in `dir`; refuses a directory another live process holds. */
  static open(dir: string, opts: SpoolOptions): Spool {
    fs.mkdirSync(dir, { recursive: true });
    const lockPath = join(dir, 'lock');
    takeLock(lockPath);
    const idPath = join(dir, 'spool-id');
    let id: string;
    try {
      id = fs.readFileSync(idPath, 'utf8').trim();
    } catch {
      // Durable before any record is: losing the id would replay the spool under a new name.
      id = randomBytes(12).toString('hex');
      const fd = fs.openSync(idPath + '.tmp', 'w');
      try {
        fs.writeSync(fd, id + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(idPath + '.tmp', idPath);
      fsyncDir(dir);
    }
    const existing = fs
      .readdirSync(dir)
      .map((n) => SEGMENT_RE.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    return new Spool(dir, id, opts, existing, lockPath);
  }

  private createSegment(n: number): number {
    // O_DSYNC: each write returns once its data (and the file size) is on stable storage.
    const { O_WRONLY, O_CREAT, O_EXCL } = fs.constants;
    const fd = fs.openSync(join(this.dir, segName(n)), O_WRONLY | O_CREAT | O_EXCL | (O_DSYNC ?? 0));
    fsyncDir(this.dir);
    this.segments.push(n);
    this.sizes.set(n, 0);
    return fd;
  }

  /**
   * Records appended since start and not yet known to be committed to the database, whether
   * waiting, being written or being retried. A backlog found in the spool at start is not
   * counted (frames do not say how many records they hold); pendingBytes covers it.
   */
  get pendingRecords(): number {
    return this.appendedRecords - this.committedRecords;
  }

  /** Bytes appended and not yet committed to the database. */
  get pendingBytes(): number {
    let total = 0;
    for (const s of this.segments) if (s >= this.committed.segment) total += this.sizes.get(s) ?? 0;
    return total - (this.sizes.has(this.committed.segment) ? this.committed.offset : 0);
  }

  /**
   * With `bytes`: true when that much more would exceed SPOOL_MAX_BYTES. Without: true when the
   * spool is at its bound or refused an append since the last commit (for readiness).
   */
  isFull(bytes?: number): boolean {
    const held = this.pendingBytes + (this.reservedOff - this.writeOff) + this.queuedBytes;
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
    if (this.closed) return Promise.reject(new Error('spool is closed'));
    const frame = encodeFrame(JSON.stringify(rows));
    if (this.isFull(frame.length)) {
      this.refused = true;
      return Promise.reject(new SpoolFullError(`spool holds ${this.pendingBytes} bytes (SPOOL_MAX_BYTES ${this.maxBytes})`));
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frame, rows, records: rows.length, resolve, reject });
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
      const fd = this.writeFd;
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
        this.log.error({ err: f.err, segment: this.writeSeg }, 'spool write failed; refusing the requests involved');
      }
      if (this.broken) {
        for (const w of f.batch) w.reject(f.err ?? new Error('an earlier spool write failed'));
        continue;
      }
      this.writeOff = f.end;
      let at = f.start;
      for (const w of f.batch) {
        records += w.records;
        if (this.cachedRows + w.records <= CACHE_MAX_ROWS) {
          this.cache.set(cacheKey(this.writeSeg, at), { rows: w.rows, size: w.frame.length });
          this.cachedRows += w.records;
        }
        at += w.frame.length;
        w.resolve();
      }
    }
    if (records > 0) {
      this.sizes.set(this.writeSeg, this.writeOff);
      if (this.unreadSince === null) this.unreadSince = Date.now();
      this.unreadRecords += records;
      this.appendedRecords += records;
      for (const l of this.listeners) l();
    }
    if (this.broken && this.flights.length === 0) {
      // Cut the segment back to what was acknowledged and continue in a fresh one, so that no
      // partly written bytes sit before later frames.
      try {
        fs.ftruncateSync(this.writeFd, this.writeOff);
      } catch {
        /* the segment is sealed at writeOff below regardless */
      }
      this.sizes.set(this.writeSeg, this.writeOff);
      this.rotate();
      this.broken = false;
    }
    if (this.closed) for (const w of this.queue.splice(0)) w.reject(new Error('spool is closed'));
    else if (this.queue.length > 0) this.pump();
  }

  private rotate(): void {
    try {
      fs.closeSync(this.writeFd);
    } catch {
      /* already closed */
    }
    this.writeSeg += 1;
    this.writeOff = 0;
    this.reservedOff = 0;
    this.writeFd = this.createSegment(this.writeSeg);
  }

  /** Where the durable data ends. */
  get writePosition(): SpoolPosition {
    return { segment: this.writeSeg, offset: this.writeOff };
  }

  hasUnread(): boolean {
    return cmp(this.readPos, this.writePosition) < 0 && this.nextReadable() !== undefined;
  }

  private uncache(segment: number, offset: number): void {
    const key = cacheKey(segment, offset);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cachedRows -= hit.rows.length;
    }
  }

  /** Moves the reader to a committed position (from the database) and forgets what it read since. */
  rewind(pos: SpoolPosition | null): void {
    let p = pos ?? { segment: this.segments[0], offset: 0 };
    // A position in a segment already deleted means everything before the oldest segment is committed.
    if (!this.sizes.has(p.segment)) p = p.segment < this.segments[0] ? { segment: this.segments[0], offset: 0 } : p;
    // Batches up to the database's position went in even if their acknowledgement was lost;
    // the rest are read again.
    this.countCommitted(p);
    this.handed = [];
    this.readPos = { ...p };
    this.committed = { ...p };
    this.backlog = this.hasUnread();
    this.deleteBefore(p.segment);
  }

  /** The first position at or after the read position that holds data, if any. */
  private nextReadable(): SpoolPosition | undefined {
    let p = this.readPos;
    for (;;) {
      if (p.segment === this.writeSeg) return p.offset < this.writeOff ? p : undefined;
      const size = this.sizes.get(p.segment);
      if (size !== undefined && p.offset < size) return p;
      const next = this.segments.find((s) => s > p.segment);
      if (next === undefined) return undefined;
      p = { segment: next, offset: 0 };
    }
  }

  private fdFor(segment: number): number {
    if (this.readFd?.segment === segment) return this.readFd.fd;
    if (this.readFd) fs.closeSync(this.readFd.fd);
    const fd = fs.openSync(join(this.dir, segName(segment)), 'r');
    this.readFd = { segment, fd };
    return fd;
  }

  /**
   * Reads whole frames from the read position, up to what is durable, until at least `maxRows`
   * rows are collected. A frame that fails its checksum at the end of a sealed segment is a torn
   * write from a crash and is dropped with the rest of that segment.
   */
  async readBatch(maxRows: number): Promise<SpoolBatch> {
    const rows: Row[] = [];
    const frames: SpoolFrame[] = [];
    let fresh = 0;
    // Records durable from here on are "new" for the flush timer.
    this.unreadRecords = 0;
    this.unreadSince = null;
    while (rows.length < maxRows) {
      const p = this.nextReadable();
      if (!p) break;
      this.readPos = p;
      const cached = this.cache.get(cacheKey(p.segment, p.offset));
      if (cached) {
        // Fresh frames come from memory: no read and no second JSON parse.
        this.uncache(p.segment, p.offset);
        frames.push({ segment: p.segment, offset: p.offset, rows: cached.rows.length });
        for (const r of cached.rows) rows.push(r);
        fresh += cached.rows.length;
        this.readPos = { segment: p.segment, offset: p.offset + cached.size };
        continue;
      }
      const active = p.segment === this.writeSeg;
      const limit = active ? this.writeOff : this.sizes.get(p.segment)!;
      const fd = this.fdFor(p.segment);
      let len = Math.min(limit - p.offset, READ_CHUNK);
      let buf = await readAt(fd, p.offset, len);
      let off = 0;
      while (rows.length < maxRows && p.offset + off < limit) {
        const f = readFrame(buf, off);
        if (f.kind === 'frame') {
          if (off > 0 && this.cache.has(cacheKey(p.segment, p.offset + off))) break; // take it from memory
          this.uncache(p.segment, p.offset + off);
          const part = JSON.parse(f.payload.toString('utf8')) as Row[];
          frames.push({ segment: p.segment, offset: p.offset + off, rows: part.length });
          for (const r of part) rows.push(r);
          if (p.segment >= this.firstSegment) fresh += part.length;
          off += f.size;
          continue;
        }
        if (f.kind === 'short' && p.offset + off + (f.need ?? 8) <= limit) {
          if (off > 0) break; // re-read from this frame on the next pass
          // A frame larger than the chunk: read exactly it.
          len = f.need!;
          buf = await readAt(fd, p.offset, len);
          continue;
        }
        const reason = f.kind === 'corrupt' ? f.reason : 'frame runs past the end of the segment';
        this.log.warn({ segment: p.segment, offset: p.offset + off, bytes: limit - p.offset - off, reason, active }, 'dropping a torn or corrupt spool tail (never acknowledged)');
        if (active) {
          // Cannot happen short of disk corruption: skip to the end of what was written.
          off = limit - p.offset;
        } else this.sizes.set(p.segment, p.offset + off);
        break;
      }
      this.readPos = { segment: p.segment, offset: p.offset + off };
    }
    // Step over the end of a finished, sealed segment so the commit lets it be deleted.
    const next = this.nextReadable() ?? this.writePosition;
    if (next.offset === 0 && next.segment > this.readPos.segment && this.readPos.segment !== this.writeSeg) this.readPos = next;
    // What is left behind the batch is due at once: it has waited at least as long as the batch.
    this.backlog = this.hasUnread();
    const end = { ...this.readPos };
    this.handed.push({ end, fresh });
    return { rows, frames, end: { ...end } };
  }

  /** Records that everything before `pos` is in the database; deletes wholly committed segments. */
  commit(pos: SpoolPosition): void {
    this.countCommitted(pos);
    this.committed = { ...pos };
    this.refused = false;
    this.deleteBefore(pos.segment);
  }

  private countCommitted(pos: SpoolPosition): void {
    while (this.handed.length > 0 && cmp(this.handed[0].end, pos) <= 0) this.committedRecords += this.handed.shift()!.fresh;
  }

  private deleteBefore(segment: number): void {
    while (this.segments.length > 1 && this.segments[0] < segment) {
      const s = this.segments.shift()!;
      this.sizes.delete(s);
      if (this.readFd?.segment === s) {
        fs.closeSync(this.readFd.fd);
        this.readFd = undefined;
      }
      try {
        fs.unlinkSync(join(this.dir, segName(s)));
      } catch (e) {
        this.log.warn({ err: e, segment: s }, 'could not delete a committed spool segment');
      }
    }
  }

  /** Waits for in-flight appends, then closes the files and releases the directory. */
  async close(): Promise<void> {
    while (this.flights.length > 0 || this.queue.length > 0 || this.scheduled) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    for (const fd of [this.writeFd, this.readFd?.fd]) {
      if (fd !== undefined) {
        try {
          fs.closeSync(fd);
        } catch {
          /* already closed */
        }
      }
    }
    this.readFd = undefined;
    // Drop an empty active segment so idle restarts do not leave files behind.
    if (this.writeOff === 0 && this.segments.length > 1) {
      try {
        fs.unlinkSync(join(this.dir, segName(this.writeSeg)));
      } catch {
        /* ignore */
      }
    }
    try {
      fs.unlinkSync(this.lockPath);
    } catch {
      /* ignore */
    }
  }
}

function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(length);
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n === length ? buf : buf.subarray(0, n))));
  });
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * One process per spool directory: two writers would interleave frames and commit each
 * other's positions. The lock file holds the owner's pid; a lock whose process is gone (a crash,
 * or the same pid reused inside a restarted container) is taken over.
 */
function takeLock(path: string): void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(path, 'utf8').trim());
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`the spool directory ${path.replace(/\/lock$/, '')} is in use by process ${pid}; give each collector its own DATA_DIR`);
      }
      fs.unlinkSync(path);
    }
  }
  throw new Error(`could not lock ${path}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
