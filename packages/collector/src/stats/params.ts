/**
 * Parameters of `GET /stats` that come on top of the `/query` filters: what to group by, the
 * time-series interval and how many groups to return. Every problem is collected so a 400 can
 * name all bad parameters at once.
 */

/** Columns `/stats` may group by: the low-cardinality dimensions people slice AI traffic by. */
export const GROUP_BY_COLUMNS = [
  'model',
  'consumer',
  'api',
  'route',
  'service',
  'mcp_server',
  'mcp_tool',
  'response_code',
  'authority',
  'instance_id',
  'session_id',
] as const;
export type GroupByColumn = (typeof GROUP_BY_COLUMNS)[number];

/** Upper bound on time buckets per series: keeps responses and charts small whatever the range. */
export const MAX_BUCKETS = 1000;
export const DEFAULT_GROUP_LIMIT = 10;
export const MAX_GROUP_LIMIT = 100;

export interface StatsOptions {
  groupBy: GroupByColumn | null;
  /** Bucket width in seconds, or null for totals only. */
  intervalSeconds: number | null;
  /** The interval as the caller wrote it (`5m`), echoed in the answer. */
  interval: string | null;
  /** Number of groups returned (the busiest first). */
  limit: number;
  /** Whether to compute the whole-range KPIs (`kpis=false` skips them, e.g. for top lists). */
  kpis: boolean;
}

export class StatsParamError extends Error {
  readonly params: string[];
  constructor(problems: { param: string; message: string }[]) {
    super(problems.map((p) => `${p.param}: ${p.message}`).join('; '));
    this.name = 'StatsParamError';
    this.params = problems.map((p) => p.param);
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Parses `30s`, `1m`, `5m`, `1h`, `1d`, `1w` into seconds; null when malformed. */
export function parseInterval(text: string): number | null {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  if (n <= 0) return null;
  return n * UNIT_SECONDS[m[2]];
}

function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return String(v);
}

export function parseStatsOptions(query: Record<string, unknown>): StatsOptions {
  const problems: { param: string; message: string }[] = [];
  let groupBy: GroupByColumn | null = null;
  const g = single(query, 'group_by');
  if (g !== undefined && g !== '') {
    if ((GROUP_BY_COLUMNS as readonly string[]).includes(g)) groupBy = g as GroupByColumn;
    else problems.push({ param: 'group_by', message: `must be one of ${GROUP_BY_COLUMNS.join(', ')}` });
  }
  let intervalSeconds: number | null = null;
  let interval: string | null = null;
  const i = single(query, 'interval');
  if (i !== undefined && i !== '') {
    intervalSeconds = parseInterval(i);
    if (intervalSeconds === null) problems.push({ param: 'interval', message: 'must be a positive number followed by s, m, h, d or w (e.g. 1m, 5m, 1h, 1d)' });
    else interval = i.trim();
  }
  let limit = DEFAULT_GROUP_LIMIT;
  const l = single(query, 'limit');
  if (l !== undefined && l !== '') {
    const n = Number(l);
    if (!Number.isInteger(n) || n < 1 || n > MAX_GROUP_LIMIT) problems.push({ param: 'limit', message: `must be an integer from 1 to ${MAX_GROUP_LIMIT}` });
    else limit = n;
  }
  let kpis = true;
  const k = single(query, 'kpis');
  if (k !== undefined && k !== '') {
    if (/^(true|1|yes)$/i.test(k)) kpis = true;
    else if (/^(false|0|no)$/i.test(k)) kpis = false;
    else problems.push({ param: 'kpis', message: 'must be true or false' });
  }
  if (problems.length) throw new StatsParamError(problems);
  return { groupBy, intervalSeconds, interval, limit, kpis };
}
