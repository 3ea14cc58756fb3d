import fs from 'node:fs';
import type { Logger } from 'pino';
import type { Row } from '../ingest/normalize.js';
import type { FrameCache } from './cache.js';
import { readFrame } from './frame.js';
import type { Segments } from './segments.js';
import { cmp, type SpoolFrame, type SpoolPosition } from './types.js';
import type { SpoolWriter } from './writer.js';

const READ_CHUNK = 4 * 1024 * 1024;

/**
 * Reads whole frames in order from the read position up to what the writer has made durable:
 * fresh frames from the cache, older ones from disk.
 */
export class SpoolReader {
  position: SpoolPosition;
  private fd: { segment: number; fd: number } | undefined;

  constructor(
    private readonly segments: Segments,
    private readonly writer: SpoolWriter,
    private readonly cache: FrameCache,
    /** The first segment this process writes: frames from here on were appended since start. */
    private readonly firstSegment: number,
    private readonly log: Logger,
    start: SpoolPosition,
  ) {
    this.position = start;
  }

  hasUnread(): boolean {
    return cmp(this.position, this.writer.position) < 0 && this.nextReadable() !== undefined;
  }

  /** The first position at or after the read position that holds data, if any. */
  private nextReadable(): SpoolPosition | undefined {
    let p = this.position;
    for (;;) {
      if (p.segment === this.writer.segment) return p.offset < this.writer.offset ? p : undefined;
      const size = this.segments.size(p.segment);
      if (size !== undefined && p.offset < size) return p;
      const next = this.segments.after(p.segment);
      if (next === undefined) return undefined;
      p = { segment: next, offset: 0 };
    }
  }

  private fdFor(segment: number): number {
    if (this.fd?.segment === segment) return this.fd.fd;
    if (this.fd) fs.closeSync(this.fd.fd);
    const fd = fs.openSync(this.segments.path(segment), 'r');
    this.fd = { segment, fd };
    return fd;
  }

  /** Closes the open segment when it is `segment` (being deleted), or whichever is open. */
  closeFd(segment?: number): void {
    if (!this.fd || (segment !== undefined && this.fd.segment !== segment)) return;
    try {
      fs.closeSync(this.fd.fd);
    } catch {
      /* already closed */
    }
    this.fd = undefined;
  }

  /**
   * Reads whole frames from the read position, up to what is durable, until at least `maxRows`
   * rows are collected; `fresh` counts those appended since start. A frame that fails its
   * checksum at the end of a sealed segment is a torn write from a crash and is dropped with the
   * rest of that segment.
   */
  async read(maxRows: number): Promise<{ rows: Row[]; frames: SpoolFrame[]; fresh: number }> {
    const rows: Row[] = [];
    const frames: SpoolFrame[] = [];
    let fresh = 0;
    while (rows.length < maxRows) {
      const p = this.nextReadable();
      if (!p) break;
      this.position = p;
      const cached = this.cache.get(p.segment, p.offset);
      if (cached) {
        // Fresh frames come from memory: no read and no second JSON parse.
        this.cache.delete(p.segment, p.offset);
        frames.push({ segment: p.segment, offset: p.offset, rows: cached.rows.length });
        for (const r of cached.rows) rows.push(r);
        fresh += cached.rows.length;
        this.position = { segment: p.segment, offset: p.offset + cached.size };
        continue;
      }
      const active = p.segment === this.writer.segment;
      const limit = active ? this.writer.offset : this.segments.size(p.segment)!;
      const fd = this.fdFor(p.segment);
      let len = Math.min(limit - p.offset, READ_CHUNK);
      let buf = await readAt(fd, p.offset, len);
      let off = 0;
      while (rows.length < maxRows && p.offset + off < limit) {
        const f = readFrame(buf, off);
        if (f.kind === 'frame') {
          if (off > 0 && this.cache.has(p.segment, p.offset + off)) break; // take it from memory
          this.cache.delete(p.segment, p.offset + off);
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
        } else this.segments.setSize(p.segment, p.offset + off);
        break;
      }
      this.position = { segment: p.segment, offset: p.offset + off };
    }
    // Step over the end of a finished, sealed segment so the commit lets it be deleted.
    const next = this.nextReadable() ?? this.writer.position;
    if (next.offset === 0 && next.segment > this.position.segment && this.position.segment !== this.writer.segment) this.position = next;
    return { rows, frames, fresh };
  }
}

function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const buf = Buffer.allocUnsafe(length);
    fs.read(fd, buf, 0, length, position, (err, n) => (err ? reject(err) : resolve(n === length ? buf : buf.subarray(0, n))));
  });
}
