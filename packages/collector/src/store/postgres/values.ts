import type { Row } from '../../ingest/normalize.js';

/**
 * Row values as PostgreSQL takes them. Two things differ from the other stores:
 * - text and JSONB cannot hold U+0000 (MySQL and SQLite can). Rather than refuse the record, a
 *   NUL becomes U+FFFD, the replacement character, in strings and in JSON text (`\u0000`).
 * - COPY's text format needs backslash, newline, carriage return and tab escaped, and `\N` for NULL.
 * start_time goes as the RFC 3339 text the row holds: PostgreSQL ignores the `Z` of an input
 * for TIMESTAMP (without time zone), which stores the UTC wall time as the other stores do.
 */

const NUL = /\u0000/g;
/** `\u0000` in JSON text, unless its backslash is itself escaped (`\\u0000` is the text "\u0000"). */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** A string value safe for text and JSONB columns; `json` for JSON text. */
export function pgText(s: string, json: boolean): string {
  if (json) return s.includes('\\u0000') ? s.replace(JSON_NUL, '$1\\ufffd') : s;
  return s.includes('\u0000') ? s.replace(NUL, '\uFFFD') : s;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_SPECIAL_ALL = /[\\\n\r\t]/g;
const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * Rows as COPY text-format lines for the columns `present` (indexes into the row). Written by
 * hand because the format is four escapes and `\N`: a CSV library would quote more and parse
 * slower on the server.
 */
export function copyText(rows: readonly Row[], present: readonly number[], jsonColumns: ReadonlySet<number>): string {
  let out = '';
  for (const r of rows) {
    for (let k = 0; k < present.length; k++) {
      const i = present[k];
      const v = r[i];
      if (k > 0) out += '\t';
      if (v === null || v === undefined) out += '\\N';
      else if (typeof v === 'number') out += String(v);
      else {
        const s = pgText(v, jsonColumns.has(i));
        out += COPY_SPECIAL.test(s) ? s.replace(COPY_SPECIAL_ALL, (c) => COPY_ESCAPES[c]) : s;
      }
    }
    out += '\n';
  }
  return out;
}

/** One row's values as query parameters (text), for the row-by-row path. */
export function rowParams(r: Row, present: readonly number[], jsonColumns: ReadonlySet<number>): (string | number | null)[] {
  return present.map((i) => {
    const v = r[i];
    return typeof v === 'string' ? pgText(v, jsonColumns.has(i)) : (v ?? null);
  });
}

/**
 * `?` placeholders (the SqlReader convention) → `$1, $2, …`. The readers' SQL is built by the
 * collector itself; `?` inside single-quoted literals is left alone all the same.
 */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quoted = false;
  for (const ch of sql) {
    if (ch === "'") quoted = !quoted;
    out += ch === '?' && !quoted ? `$${++n}` : ch;
  }
  return out;
}
