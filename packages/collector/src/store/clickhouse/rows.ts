import { randomInt } from 'node:crypto';
import { FIELDS } from '@db-log-pusher/schema';
import type { Row } from '../../ingest/normalize.js';
import type { SpoolFrame } from '../../spool/spool.js';

import type { TimeKind } from './sql.js';

export type { TimeKind } from './sql.js';

const START = FIELDS.findIndex((f) => f.name === 'start_time');
/** Segments stay below 2^32 bytes: (segment, offset) fits one exact number below 2^53 while segment < 2^21. */
const SEGMENT_SPAN = 4_294_967_296;

/**
 * Each row's key: its frame's place in the spool plus its index in the frame. A frame of n rows
 * is longer than n bytes, so keys never meet the next frame's; they grow in spool order (the
 * order the other stores number rows in) and a replayed row gets the key it had.
 */
export function rowKeys(frames: readonly SpoolFrame[] | undefined, count: number): number[] {
  const keys = new Array<number>(count);
  if (!frames) {
    // Without the spool's places (a direct writeBatch): unique keys, no replay protection.
    const base = randomInt(2 ** 47) * 64;
    for (let i = 0; i < count; i++) keys[i] = base + i;
    return keys;
  }
  let k = 0;
  for (const f of frames) {
    const base = f.segment * SEGMENT_SPAN + f.offset;
    for (let j = 0; j < f.rows && k < count; j++) keys[k++] = base + j;
  }
  if (k !== count) throw new Error(`spool frames describe ${k} rows, the batch has ${count}`);
  return keys;
}

/** `2024-05-01T12:00:00.123Z` (the canonical time every Row holds) as the column takes it. */
function timeValue(iso: string, kind: TimeKind): string | number {
  if (kind === 'epoch-ms') return Date.parse(iso);
  const basic = `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
  return kind === 'datetime' ? basic.slice(0, 19) : basic;
}

const TSV_SPECIAL = /[\\\n\r\t]/;
const TSV_SPECIAL_ALL = /[\\\n\r\t]/g;
const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Rows as TabSeparated text for the columns `present`, then spool_id and id when keyed. The
 * format is four escapes and `\N` for NULL (written by hand for that reason); ClickHouse parses
 * it with far less work than JSONEachRow's named fields, and on a shared machine its CPU is the
 * collector's too.
 */
export function rowsTsv(rows: readonly Row[], present: readonly number[], kind: TimeKind, spoolId: string | null, keys: readonly number[]): string {
  const spool = spoolId === null ? '' : `\t${spoolId.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c])}\t`;
  let out = '';
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let k = 0; k < present.length; k++) {
      const i = present[k];
      const v = i === START ? timeValue(row[i] as string, kind) : row[i];
      if (k > 0) out += '\t';
      if (v === null || v === undefined) out += '\\N';
      else if (typeof v === 'number') out += String(v);
      else out += TSV_SPECIAL.test(v) ? v.replace(TSV_SPECIAL_ALL, (c) => TSV_ESCAPES[c]) : v;
    }
    out += spoolId === null ? '\n' : `${spool}${keys[r]}\n`;
  }
  return out;
}

/** Rows as JSONEachRow objects for the columns `present` (indexes into FIELDS), with their keys. */
export function rowObjects(rows: readonly Row[], present: readonly number[], kind: TimeKind, spoolId: string | null, keys: readonly number[]): Record<string, unknown>[] {
  const names = present.map((i) => FIELDS[i].name);
  const out = new Array<Record<string, unknown>>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const o: Record<string, unknown> = {};
    for (let k = 0; k < present.length; k++) {
      const i = present[k];
      o[names[k]] = i === START ? timeValue(row[i] as string, kind) : row[i];
    }
    if (spoolId !== null) {
      o.spool_id = spoolId;
      o.id = keys[r];
    }
    out[r] = o;
  }
  return out;
}
