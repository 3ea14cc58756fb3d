import type { Logger } from 'pino';
import type { DatabaseConfig } from '../config.js';
import { MysqlStore } from './mysql/index.js';
import { PostgresStore } from './postgres/index.js';
import { ClickhouseStore } from './clickhouse/index.js';
import { SqliteStore } from './sqlite/index.js';
import type { LogStore } from './types.js';

export type { LogStore, CommitPosition, SqlReader } from './types.js';
export { POSITIONS_TABLE } from './types.js';
export { MysqlStore } from './mysql/index.js';
export { SqliteStore } from './sqlite/index.js';
export { PostgresStore } from './postgres/index.js';
export { ClickhouseStore } from './clickhouse/index.js';

/** The store for a configured database; `retentionDays` (RETENTION_DAYS) sets ClickHouse's table TTL on servers that have one. */
export function createStore(db: DatabaseConfig, log: Logger, retentionDays = 0): LogStore {
  switch (db.kind) {
    case 'sqlite':
      return new SqliteStore(db.file);
    case 'mysql':
      return new MysqlStore(db, log);
    case 'postgres':
      return new PostgresStore(db, log);
    case 'clickhouse':
      return new ClickhouseStore(db, log, retentionDays || undefined);
  }
}
