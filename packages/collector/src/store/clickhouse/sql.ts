/**
 * The SQL text the ClickHouse store sends. Old servers (18.16, Debian's package) have no query
 * parameters, so `?` placeholders are replaced by literals here; the only values are the
 * collector's own filter values (strings, numbers, times), quoted by ClickHouse's string rules.
 */

/** ClickHouse string literal: backslash and single quote escaped (ClickHouse reads `\` escapes in literals). */
export function quote(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => '\\' + c)}'`;
}

/**
 * How start_time is held: DateTime64(3) (modern servers), epoch milliseconds in a UInt64 (old
 * ones), or DateTime seconds (a user's table).
 */
export type TimeKind = 'datetime64' | 'epoch-ms' | 'datetime';

/** A time as the table stores it (a DateTime bound is cut to its second, as the column is). */
export function timeLiteral(ms: number, kind: TimeKind): string {
  if (kind === 'epoch-ms') return String(Math.trunc(ms));
  const iso = new Date(ms).toISOString();
  if (kind === 'datetime') return `toDateTime(${quote(`${iso.slice(0, 10)} ${iso.slice(11, 19)}`)}, 'UTC')`;
  return `toDateTime64(${quote(`${iso.slice(0, 10)} ${iso.slice(11, 23)}`)}, 3, 'UTC')`;
}

export function literal(v: unknown, kind: TimeKind): string {
  if (v === null || v === undefined) return 'NULL';
  if (v instanceof Date) return timeLiteral(v.getTime(), kind);
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`not a finite number: ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '0';
  return quote(String(v));
}

/**
 * Replaces each `?` outside string literals and quoted names with the next value. Written by
 * hand: the statements are the collector's own, so a scanner for quotes is all that is needed.
 */
export function bindParams(sql: string, params: readonly unknown[], kind: TimeKind): string {
  let out = '';
  let k = 0;
  let quoteChar = '';
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (quoteChar) {
      out += c;
      if (c === '\\') out += sql[++i] ?? '';
      else if (c === quoteChar) quoteChar = '';
    } else if (c === "'" || c === '"' || c === '`') {
      quoteChar = c;
      out += c;
    } else if (c === '?') {
      if (k >= params.length) throw new Error('more placeholders than parameters');
      out += literal(params[k++], kind);
    } else out += c;
  }
  if (k !== params.length) throw new Error(`${params.length} parameters for ${k} placeholders`);
  return out;
}

/**
 * Reads go through FINAL: a row written twice (a replay after a crash, before the position was
 * stored) is one row until the background merge removes the copy. `FROM access_logs` in the
 * shared query builders becomes `FROM access_logs FINAL`.
 */
export function withFinal(sql: string, table: string): string {
  return sql.replace(new RegExp(`\\bFROM ${table}\\b(?![_.])`, 'g'), `FROM ${table} FINAL`);
}
