import type { StoreDescriptor } from '../descriptor.js';
import { clickhouseStatsDialect } from './stats-sql.js';

export const descriptor: StoreDescriptor = {
  dialect: 'clickhouse',
  info: {
    store: 'ClickHouse',
    target: '`DATABASE_URL=clickhouse://…` (`?cluster=` for a Distributed table)',
    driver: '@clickhouse/client (HTTP)',
    writes: 'one `INSERT … FORMAT TabSeparated` per batch, then the spool position',
    retention: '`ALTER TABLE … DROP PARTITION` of whole days (and a TTL on 20.3+)',
    stats: 'in the database, through `FINAL`',
  },
  statsSql: clickhouseStatsDialect(false),
  statsSqlEpochMs: clickhouseStatsDialect(true),
};
