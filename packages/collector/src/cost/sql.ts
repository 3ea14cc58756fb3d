import type { StatsDialect } from '../stats/dialect.js';
import { COST_SCALE } from './cost.js';
import type { Price, PriceTable } from './prices.js';

/** Price keys hold no quote or backslash (parsePriceFile refuses them), so this literal reads the same everywhere. */
const quote = (s: string) => `'${s}'`;

/** A price as a plain decimal literal (no exponent, which MySQL would read as a float). */
function lit(n: number): string {
  const s = String(n);
  return /e/i.test(s) ? n.toFixed(12).replace(/\.?0+$/, '') : s;
}

/** Which token columns the table has (a seed table has neither). */
export interface CostColumns {
  cached: boolean;
  cacheWrite: boolean;
}

/**
 * The cost of each row as one SQL expression, from its model, tokens and the price table: the
 * same rules and formula as PriceTable.lookup and costOf, with the prices written in. Used by
 * `recompute-cost` (an UPDATE; on ClickHouse an `ALTER TABLE … UPDATE` mutation takes the same
 * expression) and by `/stats` on a table without a cost column. Counts are multiplied by
 * 0.000001 rather than divided by 1e6: MySQL keeps only 4 more decimals after a division.
 */
export function costSql(prices: PriceTable, sd: Pick<StatsDialect, 'substr' | 'slashPos'>, cols: CostColumns): string {
  const cached = cols.cached ? 'COALESCE(cached_tokens, 0)' : '0';
  const write = cols.cacheWrite ? 'COALESCE(cache_write_tokens, 0)' : '0';
  const plainIn = `(COALESCE(input_tokens, 0) - ${cached} - ${write})`;
  const plain = `(CASE WHEN ${plainIn} < 0 THEN 0 ELSE ${plainIn} END)`;
  const formula = (p: Price) =>
    `(${plain} * ${lit(p.input)} + ${cached} * ${lit(p.cachedInput)} + ${write} * ${lit(p.cacheWriteInput)} + COALESCE(output_tokens, 0) * ${lit(p.output)}) * 0.000001`;
  const name = 'lower(model)';
  const stripped = sd.substr(name, `${sd.slashPos(name)} + 1`);
  const whens: string[] = [];
  const matches = (m: string) => {
    for (const [k, p] of prices.exact) whens.push(`WHEN ${m} = ${quote(k)} THEN ${formula(p)}`);
    for (const { prefix, price } of prices.prefixes) whens.push(`WHEN ${sd.substr(m, '1', [...prefix].length)} = ${quote(prefix)} THEN ${formula(price)}`);
  };
  matches(name);
  // `provider/name`: the name after the first slash, only for names that have one.
  const before = whens.length;
  matches(stripped);
  for (let i = before; i < whens.length; i++) whens[i] = whens[i].replace(/^WHEN /, `WHEN ${sd.slashPos(name)} > 0 AND `);
  if (whens.length === 0) return 'NULL';
  // Rounded to the column's 10 places, as costOf rounds: SQLite's REAL would keep float noise.
  return `round((CASE WHEN model IS NULL OR (input_tokens IS NULL AND output_tokens IS NULL) THEN NULL\n  ${whens.join('\n  ')}\n  ELSE NULL END), ${COST_SCALE})`;
}
