import { FIELDS, type FieldName } from '@db-log-pusher/schema';
import { costOf } from './cost.js';
import type { PriceTable } from './prices.js';

/** A normalised row (ingest/normalize.ts's Row). */
type Row = (string | number | null)[];

const at = (name: FieldName): number => FIELDS.findIndex((f) => f.name === name);
const MODEL = at('model');
const INPUT = at('input_tokens');
const OUTPUT = at('output_tokens');
const CACHED = at('cached_tokens');
const WRITE = at('cache_write_tokens');
const COST = at('cost');

const n = (v: string | number | null): number | null => (typeof v === 'number' ? v : null);

/** Sets the row's cost from its model and tokens unless the record carried one; stays null for an unpriced model. */
export function priceRow(row: Row, prices: PriceTable): void {
  if (row[COST] !== null) return;
  const price = prices.lookup(row[MODEL] as string | null);
  if (!price) return;
  row[COST] = costOf({ input: n(row[INPUT]), output: n(row[OUTPUT]), cached: n(row[CACHED]), cacheWrite: n(row[WRITE]) }, price);
}
