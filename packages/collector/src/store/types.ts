import type { Dialect } from '@db-log-pusher/schema';
import type { Row } from '../ingest/normalize.js';
import type { SpoolFrame, SpoolPosition } from '../spool/spool.js';
import type { SqlReader } from './sql-reader.js';

export type { SqlReader } from './sql-reader.js';

/** The spool position committed together with a batch of rows. */
export interface CommitPosition extends SpoolPosition {
  spoolId: string;
}

/**
 * A database that holds access logs. Each dialect keeps its specifics (DDL, literals,
 * placeholders, transactions) behind this interface, each in its folder (sqlite/, mysql/,
 * postgres/, clickhouse/) with a descriptor.ts listed in catalog.ts.
 */
export interface LogStore {
  readonly dialect: Dialect;
  /** Read-only SQL for the query and statistics APIs (`?` placeholders). */
  readonly reader: SqlReader;
  /** The target without secrets, for logs. */
  readonly description: string;
  /**
   * Connects, creates the table (and the bookkeeping table) when missing, and adds missing
   * optional columns when permitted. Safe to call again after a failure.
   */
  init(): Promise<void>;
  /** The spool position committed last for this spool, or null when none. */
  readPosition(spoolId: string): Promise<SpoolPosition | null>;
  /**
   * Inserts the rows (FIELDS order; multi-row statements of at most `maxRowsPerStatement`) and
   * records `position` in the same transaction, so a replay never stores a row twice.
   */
  writeBatch(rows: readonly Row[], position: CommitPosition, maxRowsPerStatement: number, frames?: readonly SpoolFrame[]): Promise<void>;
  /**
   * Optional split of writeBatch: does the CPU work (building statements) now and returns the
   * database round trips for later, so the drainer can prepare the next batch while the
   * database is busy with the current one. `frames` (where each row sits in the spool) lets a
   * store without transactions key rows by their place, so a replayed row replaces itself.
   */
  prepareBatch?(rows: readonly Row[], maxRowsPerStatement: number, frames?: readonly SpoolFrame[]): (position: CommitPosition) => Promise<void>;
  /**
   * Optional: writes the rows one by one in one transaction with the position, setting aside
   * each row the database refuses for its content (a constraint of the user's table, say);
   * `setAside` receives those rows before the COMMIT. Used after writeBatch failed with
   * BatchRejectedError, so that one bad row cannot block the spool forever.
   */
  writeRowsSettingAside?(rows: readonly Row[], position: CommitPosition, setAside: (rows: Row[], reason: string) => Promise<void>, frames?: readonly SpoolFrame[]): Promise<number>;
  /**
   * Deletes at most `limit` rows whose start_time is before `cutoffMs` (epoch ms) in one short
   * statement, and says how many; RETENTION_DAYS calls it until a batch comes back short.
   */
  deleteOlderThan(cutoffMs: number, limit: number): Promise<number>;
  /**
   * Optional: whether the access-log table has this column (false for an optional column the
   * collector may not add). Unset: every column of FIELDS is there.
   */
  hasColumn?(name: string): boolean;
  /**
   * Optional: sets `cost = <costSql>` (an SQL expression over the row's columns, see
   * cost/sql.ts) on the rows with fromMs <= start_time < toMs, and says how many; the table must
   * have the cost column. An UPDATE in bounded slices; on ClickHouse an ALTER TABLE … UPDATE mutation.
   */
  recomputeCost?(costSql: string, fromMs: number, toMs: number): Promise<number>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Name of the small table that holds each spool's committed position. */
export const POSITIONS_TABLE = 'access_logs_spool_positions';

/** The database refused a batch for its content (not for being unreachable): retrying it as is cannot succeed. */
export class BatchRejectedError extends Error {
  override name = 'BatchRejectedError';
}
