import type { Row } from '../ingest/normalize.js';

/**
 * Rows of acknowledged frames kept in memory for the reader, so fresh records are not read back
 * and parsed again. Past this many, frames are read from disk (a backlog while the database is
 * down must not grow the heap).
 */
const CACHE_MAX_ROWS = 20_000;
/** Segments stay far below 2^32 bytes, so segment and offset fit one exact number. */
const cacheKey = (segment: number, offset: number) => segment * 4_294_967_296 + offset;

/** Acknowledged frames' rows by position, from the writer to the reader. */
export class FrameCache {
  private readonly map = new Map<number, { rows: Row[]; size: number }>();
  private rows = 0;

  /** Keeps a frame's rows while there is room. */
  offer(segment: number, offset: number, rows: Row[], size: number): void {
    if (this.rows + rows.length > CACHE_MAX_ROWS) return;
    this.map.set(cacheKey(segment, offset), { rows, size });
    this.rows += rows.length;
  }

  get(segment: number, offset: number): { rows: Row[]; size: number } | undefined {
    return this.map.get(cacheKey(segment, offset));
  }

  has(segment: number, offset: number): boolean {
    return this.map.has(cacheKey(segment, offset));
  }

  delete(segment: number, offset: number): void {
    const key = cacheKey(segment, offset);
    const hit = this.map.get(key);
    if (hit) {
      this.map.delete(key);
      this.rows -= hit.rows.length;
    }
  }
}
