/**
 * The shapes of a `/stats` answer. Types only, so the dashboard imports them too
 * (`@db-log-pusher/collector/stats-types`) instead of keeping a copy.
 */

/** The numbers computed for every group and time bucket. */
export interface Metrics {
  requests: number;
  /** Responses with status >= 400 (client and server errors). */
  errors: number;
  /** Responses with status >= 500 (server errors only). */
  errors_5xx: number;
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  bytes_received: number;
  bytes_sent: number;
  /** Mean duration in ms over the rows that have one (3 decimals), null when none has. */
  duration_avg: number | null;
  duration_p50: number | null;
  duration_p95: number | null;
  duration_p99: number | null;
  /** Sum of the rows' cost in the price table's currency; null when no row has a price. */
  cost: number | null;
  /** Input tokens read from the prompt cache; null when the table has no such column. */
  cached_tokens: number | null;
  /** cached_tokens / input_tokens (4 decimals); null without input tokens or the column. */
  cached_share: number | null;
  /** Output tokens per second of generation time (llm_service_duration, else duration); 3 decimals. */
  output_tokens_per_second: number | null;
  /** Time to the first token of streamed answers (ms), nearest-rank percentiles. */
  first_token_p50: number | null;
  first_token_p95: number | null;
}

export interface Kpis extends Metrics {
  /** Page views: the number of requests. */
  pv: number;
  /** Unique visitors: distinct client hosts (see StatsDialect.clientHost). */
  uv: number;
  /** Requests whose ai_log records a model fallback (`fallback_from`). */
  fallback_count: number;
  /** errors / requests, 0 when there are no requests (4 decimals). */
  error_rate: number;
}

export type GroupKey = string | number | null;

export interface GroupTotals extends Metrics {
  key: GroupKey;
}

export type MetricName = keyof Metrics;

export interface Series {
  key: GroupKey;
  /** One array per metric, aligned with StatsResult.timestamps; empty buckets are 0 / null. */
  values: { [K in MetricName]: (number | null)[] };
}

export interface StatsResult {
  status: 'success';
  group_by: string | null;
  /** Currency of every `cost` (the price table's). */
  currency: string;
  interval: string | null;
  interval_seconds: number | null;
  /** The range the numbers cover, as requested (null when open). */
  range: { start: string | null; end: string | null };
  /** Whole-range KPIs (left out with kpis=false). */
  kpis?: Kpis;
  /** The busiest groups first (by requests), when group_by is set. */
  groups?: GroupTotals[];
  /** Bucket start times (Unix seconds, UTC), when interval is set. */
  timestamps?: number[];
  /** One series per group (or a single one with key null without group_by), when interval is set. */
  series?: Series[];
}
