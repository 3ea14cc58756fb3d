import type { Price } from './prices.js';

/** Token counts of one request, as the row holds them (null: unknown). */
export interface TokenCounts {
  input: number | null;
  output: number | null;
  cached: number | null;
  cacheWrite: number | null;
}

/** Decimal places of the cost column (DECIMAL(18,10)). */
export const COST_SCALE = 10;

/**
 * `((input − cached − cache_write) × input_price + cached × cached_input + cache_write ×
 * cache_write_input + output × output_price) / 1e6`. input_tokens includes cached reads and
 * writes (OpenAI's convention); a negative remainder (inconsistent counts) is taken as 0.
 * Null when there is no token count at all: nothing to price. Rounded to the column's scale,
 * so what is computed here equals what the database keeps.
 */
export function costOf(t: TokenCounts, p: Price): number | null {
  if (t.input === null && t.output === null) return null;
  const cached = t.cached ?? 0;
  const write = t.cacheWrite ?? 0;
  const plain = Math.max(0, (t.input ?? 0) - cached - write);
  const c = (plain * p.input + cached * p.cachedInput + write * p.cacheWriteInput + (t.output ?? 0) * p.output) / 1e6;
  return Math.round(c * 10 ** COST_SCALE) / 10 ** COST_SCALE;
}
