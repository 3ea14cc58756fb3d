import type { Dialect } from '@db-log-pusher/schema';

/**
 * Read-only SQL access to the store's database, for modules that build their own queries
 * (the query API and the statistics API). Parameters are positional `?` placeholders on every
 * dialect; a store translates them where its driver needs another style.
 */
export interface SqlReader {
  readonly dialect: Dialect;
  /** start_time holds epoch milliseconds (a ClickHouse table on a server without DateTime64). */
  readonly epochMsTime?: boolean;
  /** Runs one read-only statement and returns its rows as plain objects. */
  all(sql: string, params: readonly unknown[]): Promise<Record<string, unknown>[]>;
}
