import type { Row } from '../ingest/normalize.js';

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

export function cmp(a: SpoolPosition, b: SpoolPosition): number {
  return a.segment - b.segment || a.offset - b.offset;
}
