import type { Dialect } from '@db-log-pusher/schema';
import { clickhouseStatsDialect, type PercentileParts } from './dialect-clickhouse.js';

export type { PercentileParts } from './dialect-clickhouse.js';

/**
 * The few SQL expressions that differ between the databases `/stats` runs on. Everything else in
 * the statistics queries is plain SQL that SQLite (3.25+, window functions), MySQL 8 /
 * MariaDB 10.2+ and PostgreSQL all accept. Each expression is written so every database computes the same value
 * from the same row; the parity test in test/stats.test.ts checks that.
 */
export interface StatsDialect {
  /** Integer division of two integer expressions (SQLite `/` on integers, MySQL `DIV`). */
  idiv(a: string, b: string): string;
  /** Whole seconds since 1970-01-01 UTC of `start_time`, independent of the session time zone. */
  epochSeconds(column: string): string;
  /**
   * The client of a request, for counting unique visitors: the first hop of X-Forwarded-For
   * when the request carried one (the original client as the first proxy saw it), else the
   * host part of downstream_remote_address (without the port; `[v6]` kept in brackets).
   */
  clientHost(): string;
  /**
   * clientHost() as a distinct-count key: lower-cased (IPv6 hex is case-insensitive) and cut to
   * 255 characters. On MariaDB the CAST to CHAR(255) keeps COUNT(DISTINCT) in an in-memory
   * VARCHAR tree instead of a BLOB temp table (TEXT columns), which halves its cost.
   */
  clientKey(): string;
  /** 1 when ai_log records a fallback (a non-empty `fallback_from`), else 0. */
  isFallback(): string;
  /** The percentile query, for a database without CTEs or window functions (ClickHouse). */
  percentilesSql?(parts: PercentileParts): string;
}

// `fallback_from` is the ai_log attribute Higress's AI observability set-up configures on
// ai-statistics (key fallback_from, value from the `x-higress-fallback-from` request header that
// the AI route's fallback sets on the internal redirect). The LIKE pre-filter skips the JSON
// parse for the many rows that cannot match.
const FALLBACK_EMPTY = `('', '-', 'null')`;

const sqlite: StatsDialect = {
  idiv: (a, b) => `((${a}) / (${b}))`,
  epochSeconds: (c) => `CAST(strftime('%s', ${c}) AS INTEGER)`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(CASE WHEN instr(${xff}, ',') > 0 THEN substr(${xff}, 1, instr(${xff}, ',') - 1) ELSE ${xff} END)`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND instr(${dra}, ']') > 0 THEN substr(${dra}, 1, instr(${dra}, ']'))
      WHEN length(${dra}) - length(replace(${dra}, ':', '')) = 1 THEN substr(${dra}, 1, instr(${dra}, ':') - 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `lower(substr(${sqlite.clientHost()}, 1, 255))`,
  isFallback: () =>
    `(CASE WHEN ai_log LIKE '%fallback_from%' THEN (CASE WHEN json_valid(ai_log) THEN
      (CASE WHEN COALESCE(CAST(json_extract(ai_log, '$.fallback_from') AS TEXT), '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)
      ELSE 0 END) ELSE 0 END)`,
};

const mysql: StatsDialect = {
  idiv: (a, b) => `((${a}) DIV (${b}))`,
  // TIMESTAMPDIFF from the epoch, not UNIX_TIMESTAMP(): the latter reads a DATETIME in the
  // session time zone, and the collector stores UTC.
  epochSeconds: (c) => `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${c})`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(SUBSTRING_INDEX(${xff}, ',', 1))`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND LOCATE(']', ${dra}) > 0 THEN SUBSTRING(${dra}, 1, LOCATE(']', ${dra}))
      WHEN CHAR_LENGTH(${dra}) - CHAR_LENGTH(REPLACE(${dra}, ':', '')) = 1 THEN SUBSTRING_INDEX(${dra}, ':', 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `LOWER(CAST(${mysql.clientHost()} AS CHAR(255)))`,
  isFallback: () =>
    `(CASE WHEN ai_log LIKE '%fallback_from%' THEN (CASE WHEN JSON_VALID(ai_log) THEN
      (CASE WHEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ai_log, '$.fallback_from')), '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)
      ELSE 0 END) ELSE 0 END)`,
};

const postgres: StatsDialect = {
  // div() on numeric: SUM() of integers is numeric in PostgreSQL, where `/` would keep fractions.
  idiv: (a, b) => `div((${a}), (${b}))`,
  // EXTRACT(EPOCH) of a TIMESTAMP (without time zone) reads it as UTC whatever the session's zone.
  epochSeconds: (c) => `FLOOR(EXTRACT(EPOCH FROM ${c}))::bigint`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(split_part(${xff}, ',', 1))`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND strpos(${dra}, ']') > 0 THEN substr(${dra}, 1, strpos(${dra}, ']'))
      WHEN length(${dra}) - length(replace(${dra}, ':', '')) = 1 THEN split_part(${dra}, ':', 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `lower(substr(${postgres.clientHost()}, 1, 255))`,
  // ai_log is JSONB: ->> gives the text of the value (NULL for JSON null, as the others treat 'null').
  isFallback: () => `(CASE WHEN COALESCE(ai_log ->> 'fallback_from', '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)`,
};

const clickhouse: StatsDialect = clickhouseStatsDialect(false);
const clickhouseEpochMs: StatsDialect = clickhouseStatsDialect(true);

/** `epochMsTime`: start_time holds epoch milliseconds (ClickHouse tables on old servers). */
export function statsDialect(d: Dialect, epochMsTime = false): StatsDialect {
  if (d === 'sqlite') return sqlite;
  if (d === 'mysql') return mysql;
  if (d === 'postgres') return postgres;
  return epochMsTime ? clickhouseEpochMs : clickhouse;
}
