import type { Logger } from 'pino';
import type { CollectorConfig } from '../config.js';
import { ConfigError } from '../config.js';
import { createStore } from '../store/index.js';
import { statsSqlFor } from '../store/catalog.js';
import { parseTimestamp } from '../time.js';
import { costSql } from './sql.js';

/** The SQL stores update an hour of rows per statement, so no UPDATE holds its locks for long. */
const SLICE_MS = 3600_000;

/** Takes `--from` and `--to` (as `--from X` or `--from=X`) out of the arguments; the rest are the collector's options. */
export function splitRangeArgs(args: readonly string[]): { from: number; to: number; rest: string[] } {
  const found: Record<string, string> = {};
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const m = /^--(from|to)(?:=(.*))?$/.exec(args[i]);
    if (!m) {
      rest.push(args[i]);
      continue;
    }
    const v = m[2] ?? args[++i];
    if (v === undefined) throw new ConfigError(`--${m[1]} needs a time (RFC 3339, e.g. 2026-01-01T00:00:00Z)`);
    found[m[1]] = v;
  }
  const time = (name: string): number => {
    if (found[name] === undefined) throw new ConfigError(`recompute-cost needs --${name} (RFC 3339, e.g. 2026-01-01T00:00:00Z)`);
    const t = parseTimestamp(found[name]);
    if (t === undefined) throw new ConfigError(`--${name} must be an RFC 3339 time, got "${found[name]}"`);
    return t;
  };
  const from = time('from');
  const to = time('to');
  if (to <= from) throw new ConfigError('--to must be after --from');
  return { from, to, rest };
}

/**
 * `log-collector recompute-cost`: sets `cost` again, from the current price table, on the rows
 * with from <= start_time < to (when a price was wrong). One SQL expression does it in the
 * database (cost/sql.ts): UPDATEs of an hour each on SQLite, MySQL and PostgreSQL, one
 * `ALTER TABLE … UPDATE` mutation on ClickHouse. Returns the number of rows updated.
 */
export async function recomputeCost(config: CollectorConfig, log: Logger, from: number, to: number): Promise<number> {
  const store = createStore(config.database, log);
  try {
    await store.init();
    const has = (c: string) => store.hasColumn?.(c) ?? true;
    if (!has('cost')) throw new Error('the access-log table has no cost column (the collector may not add it); /stats computes cost from the tokens at query time');
    if (!store.recomputeCost) throw new Error(`the ${store.dialect} store cannot recompute cost`);
    const expr = costSql(config.prices, statsSqlFor(store.dialect), { cached: has('cached_tokens'), cacheWrite: has('cache_write_tokens') });
    const step = store.dialect === 'clickhouse' ? to - from : SLICE_MS;
    let n = 0;
    for (let a = from; a < to; a += step) {
      const b = Math.min(to, a + step);
      n += await store.recomputeCost(expr, a, b);
    }
    log.info({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), rows: n, currency: config.prices.currency }, 'cost recomputed');
    return n;
  } finally {
    await store.close();
  }
}
