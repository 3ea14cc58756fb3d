import type { Dialect } from '@db-log-pusher/schema';
import type { StatsDialect } from '../stats/dialect.js';
import type { StoreDescriptor, StoreInfo } from './descriptor.js';
import { descriptor as sqlite } from './sqlite/descriptor.js';
import { descriptor as mysql } from './mysql/descriptor.js';
import { descriptor as postgres } from './postgres/descriptor.js';
import { descriptor as clickhouse } from './clickhouse/descriptor.js';

export type { StoreDescriptor, StoreInfo } from './descriptor.js';

/**
 * The stores the collector writes to, listed once: each folder under src/store/ describes
 * itself (descriptor.ts); a new store adds its folder and its line here. The READMEs' store table
 * is generated from this list (storeTable) and a test checks that both READMEs carry it unchanged.
 */
export const DESCRIPTORS: readonly StoreDescriptor[] = [sqlite, mysql, postgres, clickhouse];

export const STORES: readonly StoreInfo[] = DESCRIPTORS.map((d) => d.info);

/** The `/stats` expressions of a dialect, from its store's folder. */
export function statsSqlFor(dialect: Dialect, epochMsTime = false): StatsDialect {
  const d = DESCRIPTORS.find((s) => s.dialect === dialect);
  if (!d) throw new Error(`statistics are not implemented for the ${dialect} dialect yet`);
  return epochMsTime && d.statsSqlEpochMs ? d.statsSqlEpochMs : d.statsSql;
}

/** The Markdown table of STORES, as the READMEs carry it. */
export function storeTable(): string {
  const head = ['store', 'configured by', 'driver', 'rows written with', 'RETENTION_DAYS runs', '`/stats` computed'];
  const rows = STORES.map((s) => [s.store, s.target, s.driver, s.writes, s.retention, s.stats]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
