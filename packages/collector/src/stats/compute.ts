import { TABLE } from '@db-log-pusher/schema';
import type { SqlReader } from '../store/sql-reader.js';
import { statsSqlFor } from '../store/catalog.js';
import type { StatsDialect } from './dialect.js';
import { MAX_BUCKETS, StatsParamError, type StatsOptions } from './params.js';
import type { GroupKey, GroupTotals, Kpis, MetricName, Metrics, Series, StatsResult } from './types.js';
import type { UsageSql } from './usage.js';

export type { GroupKey, GroupTotals, Kpis, MetricName, Metrics, Series, StatsResult } from './types.js';

/**
 * Aggregates for `GET /stats`, computed in the database through a {@link SqlReader}; only
 * aggregated rows come back to Node, whatever the number of log rows. Each answer part (KPIs,
 * per-group totals, time series) is two statements: a plain GROUP BY for the sums and counts,
 * and one for the duration percentiles.
 *
 * Percentiles (duration p50/p95/p99) are exact nearest-rank percentiles: the smallest duration
 * with at least p% of the durations at or below it. They come from a histogram of the distinct
 * millisecond values (GROUP BY duration) and a running total over it (SUM() OVER). Why this way:
 * - SQLite has no percentile aggregate in better-sqlite3's build, and MariaDB's PERCENTILE_CONT /
 *   PERCENTILE_DISC are window functions only (no GROUP BY aggregate, one value per input row);
 *   CTEs and SUM() OVER are in both (SQLite 3.25+, MariaDB 10.2+, MySQL 8).
 * - Integer counts over integer milliseconds give the very same numbers on both databases,
 *   which a histogram with floating-point bin edges would not guarantee; no accuracy is lost.
 * - Ranking every row with ROW_NUMBER() (tried first) sorts all rows; the histogram only sorts
 *   the distinct durations, and measured 1.5-2.5x faster (bench/stats.bench.ts).
 */

export interface StatsFilter {
  /** SQL condition over the access-log table, with or without a leading WHERE; '' for none. */
  where: string;
  params: readonly unknown[];
}

export interface StatsRange {
  start?: Date | null;
  end?: Date | null;
}

const METRIC_NAMES: readonly MetricName[] = [
  'requests', 'errors', 'errors_5xx', 'input_tokens', 'output_tokens', 'total_tokens',
  'bytes_received', 'bytes_sent', 'duration_avg', 'duration_p50', 'duration_p95', 'duration_p99',
  'cost', 'cached_tokens', 'cached_share', 'output_tokens_per_second', 'first_token_p50', 'first_token_p95',
];
/** Series values that are null, not 0, in an empty bucket. */
const NULL_WHEN_EMPTY = new Set<MetricName>(['duration_avg', 'duration_p50', 'duration_p95', 'duration_p99', 'cached_share', 'output_tokens_per_second', 'first_token_p50', 'first_token_p95']);

/** Numeric group columns are not passed through NULLIF(col, '') (MySQL would turn 0 into NULL). */
const NUMERIC_GROUPS = new Set(['response_code']);

function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}

function numOrNull(v: unknown): number | null {
  return v === null || v === undefined ? null : num(v);
}

function whereCondition(where: string): string {
  const w = where.trim().replace(/^where\s+/i, '');
  return w === '' ? '1=1' : `(${w})`;
}

interface MetricsQuery {
  groupCol: string | null;
  bucketSeconds: number | null;
  kpi: boolean;
  where: string;
  usage: UsageSql;
}

/**
 * The AI usage sums: cost, cached tokens, and output tokens over generation time (the model's
 * service time where ai_log gave it, else the request's duration) for output tokens per second.
 */
// Aliases never repeat a column name: ClickHouse resolves a name to its alias anywhere in the
// query, so an expression over output_tokens would read SUM(output_tokens) inside another SUM.
function usageCols(u: UsageSql): string {
  const gen = u.service ? 'COALESCE(llm_service_duration, duration)' : 'duration';
  return `,\n  SUM(${u.cost}) AS sum_cost${u.cached ? ', SUM(cached_tokens) AS sum_cached' : ''},
  SUM(CASE WHEN ${gen} > 0 THEN output_tokens END) AS gen_tokens, SUM(CASE WHEN output_tokens IS NOT NULL AND ${gen} > 0 THEN ${gen} END) AS gen_ms`;
}

function groupExpr(col: string | null): string {
  if (!col) return '0';
  return NUMERIC_GROUPS.has(col) ? col : `NULLIF(${col}, '')`;
}

/** Sums and counts per (group, bucket): one plain GROUP BY pass. */
function sumsSql(sd: StatsDialect, table: string, q: MetricsQuery): string {
  const kpiCols = q.kpi ? `,\n  COUNT(DISTINCT ${sd.clientKey()}) AS uv, SUM(${sd.isFallback()}) AS fallbacks` : '';
  return `SELECT ${groupExpr(q.groupCol)} AS g, ${bucketExpr(sd, q.bucketSeconds)} AS b, COUNT(*) AS requests,
  SUM(CASE WHEN response_code >= 400 THEN 1 ELSE 0 END) AS errors,
  SUM(CASE WHEN response_code >= 500 THEN 1 ELSE 0 END) AS errors_5xx,
  SUM(input_tokens) AS sum_in, SUM(output_tokens) AS sum_out, SUM(total_tokens) AS sum_total,
  SUM(bytes_received) AS bytes_received, SUM(bytes_sent) AS bytes_sent,
  SUM(duration) AS dsum, COUNT(duration) AS dcount${usageCols(q.usage)}${kpiCols}
FROM ${table} WHERE ${q.where}${groupBy(keyExprs(sd, q))}`;
}

/** The non-constant (group, bucket) expressions: a bare constant in GROUP BY would be read as a column position. */
function keyExprs(sd: StatsDialect, q: MetricsQuery): string[] {
  const out: string[] = [];
  if (q.groupCol) out.push(groupExpr(q.groupCol));
  if (q.bucketSeconds) out.push(bucketExpr(sd, q.bucketSeconds));
  return out;
}

function groupBy(exprs: string[]): string {
  return exprs.length ? `\nGROUP BY ${exprs.join(', ')}` : '';
}

/**
 * Exact nearest-rank duration percentiles per (group, bucket): a histogram of the distinct
 * durations (GROUP BY duration: as many rows as distinct millisecond values, far fewer than log
 * rows), then a running total over it with a window function; the pN value is the first
 * duration whose running total reaches ceil(N% of the count). Only aggregated rows come back.
 */
function percentilesSql(sd: StatsDialect, table: string, q: MetricsQuery, col = 'duration', cond = ''): string {
  const rank = (p: number) => sd.idiv(`n * ${p} + 99`, '100');
  const pct = (p: number) => `MIN(CASE WHEN cs >= ${rank(p)} THEN d END)`;
  const parts = [q.groupCol ? 'g' : '', q.bucketSeconds ? 'b' : ''].filter(Boolean);
  if (sd.percentilesSql) {
    const group = groupExpr(q.groupCol);
    const bucket = bucketExpr(sd, q.bucketSeconds);
    const where = `${q.where} AND ${col} IS NOT NULL${cond ? ` AND ${cond}` : ''}`;
    return sd.percentilesSql({ group, bucket, hasGroup: !!q.groupCol, hasBucket: !!q.bucketSeconds, keys: keyExprs(sd, q), parts, table, where, column: col });
  }
  // The constant keys are selected as constants: PostgreSQL takes no bare column outside GROUP BY.
  const partition = parts.length ? `PARTITION BY ${parts.join(', ')} ` : '';
  return `WITH h AS (
  SELECT ${groupExpr(q.groupCol)} AS g, ${bucketExpr(sd, q.bucketSeconds)} AS b, ${col} AS d, COUNT(*) AS c
  FROM ${table} WHERE ${q.where} AND ${col} IS NOT NULL${cond ? ` AND ${cond}` : ''}
  GROUP BY ${[...keyExprs(sd, q), col].join(', ')}
), cum AS (
  SELECT g, b, d, SUM(c) OVER (${partition}ORDER BY d ROWS UNBOUNDED PRECEDING) AS cs,
    SUM(c) OVER (${partition.trim()}) AS n
  FROM h
)
SELECT ${q.groupCol ? 'g' : '0 AS g'}, ${q.bucketSeconds ? 'b' : '0 AS b'}, ${pct(50)} AS p50, ${pct(95)} AS p95, ${pct(99)} AS p99 FROM cum${groupBy(parts)}`;
}

function bucketExpr(sd: StatsDialect, seconds: number | null): string {
  return seconds ? `${sd.idiv(sd.epochSeconds('start_time'), String(seconds))} * ${seconds}` : '0';
}

/** First-token time percentiles are of streams only: a non-stream answer's first token is its whole body. */
function firstTokenSql(sd: StatsDialect, table: string, q: MetricsQuery): string {
  return percentilesSql(sd, table, q, 'llm_first_token_duration', "response_type = 'stream'");
}

/** Runs the queries (sums, duration percentiles, first-token percentiles) and joins their rows on (group, bucket). */
async function metricsRows(reader: SqlReader, sd: StatsDialect, table: string, q: MetricsQuery, params: unknown[]): Promise<Record<string, unknown>[]> {
  const sums = await reader.all(sumsSql(sd, table, q), params);
  if (!sums.length) return sums;
  const id = (r: Record<string, unknown>) => `${keyId(normKey(r.g))}|${num(r.b)}`;
  const pcts = new Map((await reader.all(percentilesSql(sd, table, q), params)).map((r) => [id(r), r]));
  const first = q.usage.firstToken ? new Map((await reader.all(firstTokenSql(sd, table, q), params)).map((r) => [id(r), r])) : null;
  return sums.map((r) => {
    const p = pcts.get(id(r));
    const f = first?.get(id(r));
    return { ...r, p50: p?.p50 ?? null, p95: p?.p95 ?? null, p99: p?.p99 ?? null, ft50: f?.p50 ?? null, ft95: f?.p95 ?? null };
  });
}

function toMetrics(row: Record<string, unknown>): Metrics {
  const dcount = num(row.dcount);
  return {
    requests: num(row.requests),
    errors: num(row.errors),
    errors_5xx: num(row.errors_5xx),
    input_tokens: num(row.sum_in),
    output_tokens: num(row.sum_out),
    total_tokens: num(row.sum_total),
    bytes_received: num(row.bytes_received),
    bytes_sent: num(row.bytes_sent),
    // From the exact integer sum and count, not AVG(): MySQL's AVG is a DECIMAL with 4 digits.
    duration_avg: dcount ? Math.round((num(row.dsum) / dcount) * 1000) / 1000 : null,
    duration_p50: numOrNull(row.p50),
    duration_p95: numOrNull(row.p95),
    duration_p99: numOrNull(row.p99),
    ...usageMetrics(row),
  };
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;

function usageMetrics(row: Record<string, unknown>): Pick<Metrics, 'cost' | 'cached_tokens' | 'cached_share' | 'output_tokens_per_second' | 'first_token_p50' | 'first_token_p95'> {
  const input = num(row.sum_in);
  const cached = numOrNull(row.sum_cached);
  const genMs = num(row.gen_ms);
  const cost = numOrNull(row.sum_cost);
  return {
    // Summed in the database (exact decimals on MySQL and PostgreSQL), shown to 10 places as stored.
    cost: cost === null ? null : round(cost, 10),
    cached_tokens: cached,
    cached_share: cached !== null && input > 0 ? round(cached / input, 4) : null,
    output_tokens_per_second: genMs > 0 ? round(num(row.gen_tokens) / (genMs / 1000), 3) : null,
    first_token_p50: numOrNull(row.ft50),
    first_token_p95: numOrNull(row.ft95),
  };
}

function emptyMetrics(): Metrics {
  return {
    requests: 0, errors: 0, errors_5xx: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0,
    bytes_received: 0, bytes_sent: 0, duration_avg: null, duration_p50: null, duration_p95: null, duration_p99: null,
    cost: null, cached_tokens: null, cached_share: null, output_tokens_per_second: null, first_token_p50: null, first_token_p95: null,
  };
}

function normKey(v: unknown): GroupKey {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return Number(v);
  return String(v);
}

function keyId(k: GroupKey): string {
  return k === null ? '\u0000null' : `${typeof k}:${k}`;
}

/** Busiest first; ties by key so both databases list the same order. */
function compareGroups(a: GroupTotals, b: GroupTotals): number {
  if (b.requests !== a.requests) return b.requests - a.requests;
  if (a.key === null) return 1;
  if (b.key === null) return -1;
  return String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0;
}

export interface ComputeStatsInput {
  reader: SqlReader;
  filter: StatsFilter;
  options: StatsOptions;
  range?: StatsRange;
  table?: string;
  /** The AI usage columns the table has and the cost expression (default: every column, stored cost). */
  usage?: UsageSql;
}

const STORED_USAGE: UsageSql = { cost: 'cost', currency: 'USD', cached: true, firstToken: true, service: true, session: true };

export async function computeStats(input: ComputeStatsInput): Promise<StatsResult> {
  const { reader, filter, options } = input;
  const table = input.table ?? TABLE;
  const sd = statsSqlFor(reader.dialect, reader.epochMsTime);
  const where = whereCondition(filter.where);
  const params = [...filter.params];
  const range = input.range ?? {};
  const usage = input.usage ?? STORED_USAGE;
  if (options.groupBy === 'session_id' && !usage.session) {
    throw new StatsParamError([{ param: 'group_by', message: 'the access-log table has no session_id column (the collector may not add it): group by another column' }]);
  }

  // Bucket bounds are checked before any heavy query runs, so a too-fine interval costs nothing.
  let buckets: number[] | null = null;
  if (options.intervalSeconds) {
    buckets = await bucketStarts(reader, sd, table, where, params, range, options.intervalSeconds);
  }

  const result: StatsResult = {
    status: 'success',
    group_by: options.groupBy,
    currency: usage.currency,
    interval: options.interval,
    interval_seconds: options.intervalSeconds,
    range: { start: range.start ? range.start.toISOString() : null, end: range.end ? range.end.toISOString() : null },
  };
  if (options.kpis) {
    const [kpiRow] = await metricsRows(reader, sd, table, { groupCol: null, bucketSeconds: null, kpi: true, where, usage }, params);
    const totals = kpiRow ? toMetrics(kpiRow) : emptyMetrics();
    result.kpis = {
      ...totals,
      pv: totals.requests,
      uv: num(kpiRow?.uv),
      fallback_count: num(kpiRow?.fallbacks),
      error_rate: totals.requests ? Math.round((totals.errors / totals.requests) * 10000) / 10000 : 0,
    };
  }

  let topKeys: GroupKey[] | null = null;
  if (options.groupBy) {
    // Sums for every group to rank them; percentiles only for the groups that are returned.
    const q = { groupCol: options.groupBy, bucketSeconds: null, kpi: false, where, usage };
    const rows = await reader.all(sumsSql(sd, table, q), params);
    const groups = rows.map((r) => ({ key: normKey(r.g), ...toMetrics(r) })).sort(compareGroups).slice(0, options.limit);
    topKeys = groups.map((g) => g.key);
    if (groups.length) {
      const only = restrictToKeys(where, params, options.groupBy, topKeys);
      const pcts = await reader.all(percentilesSql(sd, table, { ...q, where: only.where }), only.params);
      const byKey = new Map(pcts.map((r) => [keyId(normKey(r.g)), r]));
      const first = usage.firstToken ? await reader.all(firstTokenSql(sd, table, { ...q, where: only.where }), only.params) : [];
      const firstByKey = new Map(first.map((r) => [keyId(normKey(r.g)), r]));
      for (const g of groups) {
        const p = byKey.get(keyId(g.key));
        g.duration_p50 = numOrNull(p?.p50);
        g.duration_p95 = numOrNull(p?.p95);
        g.duration_p99 = numOrNull(p?.p99);
        const f = firstByKey.get(keyId(g.key));
        g.first_token_p50 = numOrNull(f?.p50);
        g.first_token_p95 = numOrNull(f?.p95);
      }
    }
    result.groups = groups;
  }

  if (buckets) {
    result.timestamps = buckets;
    result.series = await timeSeries(reader, sd, table, where, params, options, buckets, topKeys, usage);
  }
  return result;
}

async function bucketStarts(
  reader: SqlReader, sd: StatsDialect, table: string, where: string, params: unknown[],
  range: StatsRange, step: number,
): Promise<number[]> {
  let startSec = range.start ? Math.floor(range.start.getTime() / 1000) : null;
  let endSec = range.end ? Math.floor(range.end.getTime() / 1000) : null;
  if (startSec === null || endSec === null) {
    // MIN/MAX of the bare column use the start_time index; the epoch conversion runs once.
    const [row] = await reader.all(
      `SELECT ${sd.epochSeconds('lo')} AS lo_s, ${sd.epochSeconds('hi')} AS hi_s, n FROM (SELECT MIN(start_time) AS lo, MAX(start_time) AS hi, COUNT(*) AS n FROM ${table} WHERE ${where}) x`,
      params,
    );
    // ClickHouse answers MIN() of no rows with the type's zero, not NULL: the count says "none".
    if (!row || num(row.n) === 0) return [];
    if (startSec === null) startSec = row && row.lo_s !== null ? num(row.lo_s) : null;
    if (endSec === null) endSec = row && row.hi_s !== null ? num(row.hi_s) : null;
  }
  if (startSec === null || endSec === null || endSec < startSec) return [];
  const first = Math.floor(startSec / step) * step;
  const last = Math.floor(endSec / step) * step;
  const count = (last - first) / step + 1;
  if (count > MAX_BUCKETS) {
    throw new StatsParamError([{ param: 'interval', message: `${count} buckets for this range, more than ${MAX_BUCKETS}: use a larger interval or a narrower start/end` }]);
  }
  const out: number[] = [];
  for (let t = first; t <= last; t += step) out.push(t);
  return out;
}

async function timeSeries(
  reader: SqlReader, sd: StatsDialect, table: string, where: string, params: unknown[],
  options: StatsOptions, buckets: number[], topKeys: GroupKey[] | null, usage: UsageSql,
): Promise<Series[]> {
  const step = options.intervalSeconds as number;
  let seriesWhere = where;
  let seriesParams = params;
  if (options.groupBy && topKeys) {
    if (topKeys.length === 0) return [];
    ({ where: seriesWhere, params: seriesParams } = restrictToKeys(where, params, options.groupBy, topKeys));
  }
  const rows = await metricsRows(reader, sd, table, { groupCol: options.groupBy, bucketSeconds: step, kpi: false, where: seriesWhere, usage }, seriesParams);
  const index = new Map<number, number>(buckets.map((t, i) => [t, i]));
  const keys: GroupKey[] = options.groupBy && topKeys ? topKeys : [null];
  const byKey = new Map<string, Series>();
  const series = keys.map((key) => {
    const values = {} as Series['values'];
    for (const m of METRIC_NAMES) values[m] = buckets.map(() => (NULL_WHEN_EMPTY.has(m) ? null : 0));
    const s: Series = { key, values };
    byKey.set(keyId(key), s);
    return s;
  });
  for (const r of rows) {
    const i = index.get(num(r.b));
    const s = byKey.get(keyId(options.groupBy ? normKey(r.g) : null));
    if (i === undefined || !s) continue; // rows outside the requested range or an unlisted group
    const m = toMetrics(r);
    for (const name of METRIC_NAMES) s.values[name][i] = m[name];
  }
  return series;
}

/** Narrows a condition to the listed groups (NULL standing for "no value": NULL or ''). */
function restrictToKeys(where: string, params: unknown[], col: string, keys: GroupKey[]): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const values = keys.filter((k) => k !== null);
  if (values.length) parts.push(`${col} IN (${values.map(() => '?').join(', ')})`);
  if (keys.includes(null)) parts.push(NUMERIC_GROUPS.has(col) ? `${col} IS NULL` : `(${col} IS NULL OR ${col} = '')`);
  return { where: `${where} AND (${parts.join(' OR ')})`, params: [...params, ...values] };
}
