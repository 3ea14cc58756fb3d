import type { Row } from '../ingest/normalize.js';

/** A place in the spool: a segment number and a byte offset inside it. */
export interface SpoolPosition {
  segment: number;
  offset: number;
}

export interface SpoolBatch {
  rows: Row[];
  /** Position just past the last frame in the batch: what to commit with the rows. */
  end: SpoolPosition;
}

export function cmp(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}
