/**
 * Status classes the dashboard shows apart: rate limiting (429) is a capacity or quota signal,
 * not a fault, so it is counted on its own rather than inside "4xx" or "5xx". Read from a
 * `/stats?group_by=response_code` answer (with `interval` for the per-bucket figures).
 */
import type { StatsAnswer } from './api.js';

export const RATE_LIMITED = 429;

/** Requests answered 429 over the whole range. */
export function rateLimitedCount(byCode: StatsAnswer | null | undefined): number {
  return byCode?.groups?.find((g) => Number(g.key) === RATE_LIMITED)?.requests ?? 0;
}

/** Requests answered 429 per bucket (zeros when there were none). */
export function rateLimitedSeries(byCode: StatsAnswer | null | undefined, buckets: number): number[] {
  const s = byCode?.series?.find((x) => Number(x.key) === RATE_LIMITED);
  return s ? s.values.requests.map((v) => v ?? 0) : new Array<number>(buckets).fill(0);
}
