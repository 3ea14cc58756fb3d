import type { Dialect } from '@db-log-pusher/schema';
import { costSql } from '../cost/sql.js';
import { statsSqlFor } from '../store/catalog.js';
import type { PriceTable } from '../cost/prices.js';

/**
 * What `/stats` needs to know about the AI usage columns: which the table has (a seed table the
 * collector may not alter has none) and how to get each row's cost. Plain data, so it crosses
 * to the statistics worker thread.
 */
export interface UsageSql {
  /** One row's cost: the stored `cost`, or, without that column, computed from tokens and the price table. */
  cost: string;
  /** The price table's currency. */
  currency: string;
  cached: boolean;
  /** llm_first_token_duration and response_type are both there (first-token percentiles of streams). */
  firstToken: boolean;
  service: boolean;
  session: boolean;
}

/** UsageSql for a table whose columns `has` tells. */
export function usageSql(prices: PriceTable, dialect: Dialect, has: (column: string) => boolean): UsageSql {
  return {
    cost: has('cost') ? 'cost' : costSql(prices, statsSqlFor(dialect), { cached: has('cached_tokens'), cacheWrite: has('cache_write_tokens') }),
    currency: prices.currency,
    cached: has('cached_tokens'),
    firstToken: has('llm_first_token_duration') && has('response_type'),
    service: has('llm_service_duration'),
    session: has('session_id'),
  };
}

/** A table with every column (the SQLite store always adds them). */
export const ALL_COLUMNS = (): boolean => true;
