import type { Dialect } from '@db-log-pusher/schema';
import type { StatsDialect } from '../stats/dialect.js';

/** How a store is described to users: one row of the READMEs' store table. */
export interface StoreInfo {
  store: string;
  /** How users name it. */
  target: string;
  driver: string;
  /** How a batch of rows goes in. */
  writes: string;
  /** What RETENTION_DAYS runs. */
  retention: string;
  /** Where `/stats` is computed. */
  stats: string;
}

/**
 * What a store folder (src/store/<kind>/descriptor.ts) declares besides its LogStore: its SQL
 * dialect, its row of the store table and its `/stats` expressions. Plain data without the
 * driver, so the statistics worker thread can load it.
 */
export interface StoreDescriptor {
  dialect: Dialect;
  info: StoreInfo;
  statsSql: StatsDialect;
  /** The same for tables whose start_time holds epoch milliseconds (ClickHouse on old servers). */
  statsSqlEpochMs?: StatsDialect;
}
