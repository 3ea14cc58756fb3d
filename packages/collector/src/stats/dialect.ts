/**
 * The few SQL expressions that differ between the databases `/stats` runs on. Everything else in
 * the statistics queries is plain SQL that SQLite (3.25+, window functions), MySQL 8 /
 * MariaDB 10.2+ and PostgreSQL all accept (ClickHouse builds its percentile query itself). Each expression is written so every database computes the same value
 * from the same row; the parity test in test/stats.test.ts checks that. Each store implements
 * it in its folder (src/store/<kind>/stats-sql.ts), listed through src/store/catalog.ts.
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
  /**
   * For pricing at query time (cost/sql.ts): characters of `s` from `from` (1-based), `length`
   * of them or to the end; and the position of the first `/` in `s`, 0 when there is none.
   */
  substr(s: string, from: string, length?: number): string;
  slashPos(s: string): string;
  /** The percentile query, for a database without CTEs or window functions (ClickHouse). */
  percentilesSql?(parts: PercentileParts): string;
}

/** The pieces of the percentile query, for a dialect that builds its own (see StatsDialect.percentilesSql). */
export interface PercentileParts {
  /** Group and bucket expressions ('0' when absent). */
  group: string;
  bucket: string;
  hasGroup: boolean;
  hasBucket: boolean;
  /** The non-constant key expressions, and the names ('g', 'b') of the keys present. */
  keys: string[];
  parts: string[];
  table: string;
  /** The condition, including `column IS NOT NULL` and any further one. */
  where: string;
  /** The column whose percentiles are taken (duration, llm_first_token_duration). */
  column: string;
}

// `fallback_from` is the ai_log attribute Higress's AI observability set-up configures on
// ai-statistics (key fallback_from, value from the `x-higress-fallback-from` request header that
// the AI route's fallback sets on the internal redirect). The LIKE pre-filter skips the JSON
// parse for the many rows that cannot match.
export const FALLBACK_EMPTY = `('', '-', 'null')`;

