/**
 * Spend: the one place the dashboard reads cost from. `/stats` answers carry `cost` in `kpis`, in
 * every group and in every series bucket, in the price table's `currency`; it is null where no
 * record is priced (a self-hosted model, a request without tokens), and the cells then say
 * "not priced".
 */
import type { StatsAnswer } from './api.js';

/** The cost of a KPI block or a group, or null when none of its records is priced. */
export function costOf(m: object | null | undefined): number | null {
  const c = (m as { cost?: unknown } | null | undefined)?.cost;
  return typeof c === 'number' && Number.isFinite(c) ? c : null;
}

/**
 * The cost per bucket of a series, or null when no record of the range is priced. Empty buckets
 * hold 0 like the other sums, so whether anything is priced is read from the answer's KPIs: ask
 * for the series with them.
 */
export function costSeries(answer: StatsAnswer | null | undefined): (number | null)[] | null {
  const v = answer?.series?.[0]?.values as Record<string, (number | null)[] | undefined> | undefined;
  if (!Array.isArray(v?.cost)) return null;
  if (answer?.kpis) return costOf(answer.kpis) === null ? null : v.cost;
  return v.cost.some((c) => typeof c === 'number' && c !== 0) ? v.cost : null;
}

/** The currency of the answer's prices, when it names one. */
export function currencyOf(answer: StatsAnswer | null | undefined): string {
  const c = (answer as { currency?: unknown } | null | undefined)?.currency;
  return typeof c === 'string' ? c : '';
}

export const NOT_PRICED = 'not priced';

/** `12.34 USD`, `0.0042 USD`; "not priced" while there is no cost. */
export function fmtCost(c: number | null, currency = ''): string {
  if (c === null) return NOT_PRICED;
  const v = Math.abs(c) >= 1 ? c.toFixed(2) : c.toPrecision(2);
  return currency ? `${v} ${currency}` : v;
}

/** A "spend" column for a group table, in the answer's currency. */
export function spendColumn(currency: string): { label: string; value: (g: object) => string } {
  return { label: 'spend', value: (g) => fmtCost(costOf(g), currency) };
}
