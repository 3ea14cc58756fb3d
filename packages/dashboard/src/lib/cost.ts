/**
 * Spend: the one place the dashboard reads cost from. `/stats` does not price requests yet; once
 * its answers carry `cost` (in `kpis`, in every group and in every series bucket, in the price
 * table's currency), these functions return it and every "Spend" cell and chart shows it, with
 * nothing else to change. Until then they return null and the cells say "not priced".
 */
import type { StatsAnswer } from './api.js';

/** The cost of a KPI block or a group, or null while `/stats` has none. */
export function costOf(m: object | null | undefined): number | null {
  const c = (m as { cost?: unknown } | null | undefined)?.cost;
  return typeof c === 'number' && Number.isFinite(c) ? c : null;
}

/** The cost per bucket of a series, or null while `/stats` has none. */
export function costSeries(answer: StatsAnswer | null | undefined): (number | null)[] | null {
  const v = answer?.series?.[0]?.values as Record<string, (number | null)[] | undefined> | undefined;
  return Array.isArray(v?.cost) ? v.cost : null;
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
