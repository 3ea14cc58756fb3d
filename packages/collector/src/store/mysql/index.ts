import mysql from 'mysql2/promise';
import type { Logger } from 'pino';
import { FIELDS, TABLE, addColumnSql, createTableSql, type Dialect } from '@db-log-pusher/schema';
import type { Row } from '../../ingest/normalize.js';
import type { SpoolPosition } from '../../spool/spool.js';
import type { DatabaseConfig } from '../../config.js';
import type { SqlReader } from '../sql-reader.js';
import { toSqlDateTime } from '../../time.js';
import { BatchRejectedError, POSITIONS_TABLE, type CommitPosition, type LogStore } from '../types.js';

/**
 * Characters a string goes through mysql.escape for; a string without any is just put in single
 * quotes, which reads back the same. `"` is left out: it is plain text inside single quotes
 * (whatever the sql_mode), and JSON text such as ai_log is full of it.
 */
const NEEDS_ESCAPE = /[\0\b\t\n\r\x1a'\\]/;

/**
 * Errors about a row's content: SQLSTATE class 22 (data exception: too long, out of range, bad
 * value) and 23 (integrity constraint, CHECK included), and MySQL's CHECK constraint violation
 * (3819, SQLSTATE HY000). Anything else (connection lost, timeouts, locks) is worth retrying.
 */
function isContentError(e: unknown): boolean {
  const err = e as { fatal?: boolean; sqlState?: string; errno?: number };
  if (err.fatal || typeof err.sqlState !== 'string') return false;
  return err.sqlState.startsWith('22') || err.sqlState.startsWith('23') || err.errno === 3819 || err.errno === 4025;
}

type MysqlConfig = Extract<DatabaseConfig, { kind: 'mysql' }>;

const START = FIELDS.findIndex((f) => f.name === 'start_time');
/** Statement timeout for writes, so a database that stops answering is noticed and retried. */
const WRITE_TIMEOUT_MS = 60_000;

/**
 * MySQL / MariaDB through a mysql2 pool. Works on the seed's table as users created it
 * (DATETIME without milliseconds, no optional columns): the columns actually present are read
 * at start and only those are written.
 */
export class MysqlStore implements LogStore {
  readonly dialect: Dialect = 'mysql';
  readonly description: string;
  readonly reader: SqlReader;
  private readonly pool: mysql.Pool;
  /** Indexes into FIELDS of the columns the table has. */
  private present: number[] = FIELDS.map((_, i) => i);
  /** Names of the present columns, for hasColumn. */
  private presentNames: ReadonlySet<string> = new Set(FIELDS.map((f) => f.name));
  private insertPrefix = '';
  /** start_time is DATETIME (seconds) in the seed's table: cut milliseconds rather than let MySQL round. */
  private startTimeMs = true;
  private initialised = false;

  constructor(
    cfg: MysqlConfig,
    private readonly log: Logger,
  ) {
    this.description = `mysql://${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}`;
    this.pool = mysql.createPool({
      host: cfg.host,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password,
      database: cfg.database,
      charset: 'utf8mb4',
      timezone: 'Z',
      // Times travel as text, so nothing is shifted by the client's time zone.
      dateStrings: true,
      supportBigNumbers: true,
      decimalNumbers: true,
      connectTimeout: cfg.connectTimeoutMs,
      connectionLimit: 4,
      maxIdle: 4,
      enableKeepAlive: true,
      // Batches go as one multi-statement query (see execute); every value in them is escaped.
      multipleStatements: true,
      // The batch INSERTs are built already escaped; only statements with values need formatting
      // (mysql2 would otherwise scan every multi-megabyte INSERT for placeholders).
      queryFormat: (sql: string, values: unknown) => (Array.isArray(values) && values.length > 0 ? mysql.format(sql, values, false, 'Z') : sql),
    });
    this.pool.on('connection', (conn) => {
      // The event carries the driver's callback-style connection (the promise typings say otherwise).
      const c = conn as unknown as { on(e: 'error', f: () => void): void; query(sql: string, cb: () => void): void };
      // Errors on idle connections (the server went away) must not crash the process.
      c.on('error', () => undefined);
      // Literals are escaped with backslashes; make sure the session reads them that way. Queued
      // before any other command on this connection.
      c.query("SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')", () => undefined);
    });
    this.reader = {
      dialect: 'mysql',
      all: async (sql, params) => {
        const [rows] = await this.pool.query({ sql, values: params as unknown[], timeout: 30_000 });
        return rows as Record<string, unknown>[];
      },
    };
  }

  async init(): Promise<void> {
    const conn = await this.pool.getConnection();
    try {
      const [exists] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?', [TABLE]);
      if ((exists as { n: number }[])[0].n === 0) {
        for (const sql of createTableSql('mysql')) await conn.query(sql);
        this.log.info({ table: TABLE }, 'created the access-log table');
      }
      await conn.query(
        `CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (
          spool_id VARCHAR(64) NOT NULL PRIMARY KEY,
          segment BIGINT NOT NULL,
          seg_offset BIGINT NOT NULL,
          updated_at TIMESTAMP(3) DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)
        ) ENGINE=InnoDB COMMENT='log-collector: spool position committed with each batch'`,
      );
      const cols = await this.columns(conn);
      const missing = FIELDS.filter((f) => !cols.has(f.name));
      for (const f of missing) {
        if (f.seed) continue;
        try {
          await conn.query(addColumnSql('mysql', f));
          this.log.info({ column: f.name }, 'added an optional column to the access-log table');
        } catch (e) {
          if (!this.initialised) this.log.warn({ column: f.name, err: (e as Error).message }, 'cannot add an optional column; this field will not be stored');
        }
      }
      const now = await this.columns(conn);
      const lacking = FIELDS.filter((f) => !now.has(f.name)).map((f) => f.name);
      if (lacking.length && !this.initialised) this.log.warn({ columns: lacking }, 'the access-log table lacks these columns; their values are dropped');
      this.present = FIELDS.map((f, i) => (now.has(f.name) ? i : -1)).filter((i) => i >= 0);
      this.presentNames = new Set(this.present.map((i) => FIELDS[i].name));
      this.startTimeMs = (now.get('start_time') ?? 0) >= 3;
      this.insertPrefix = `INSERT INTO ${TABLE} (${this.present.map((i) => FIELDS[i].name).join(', ')}) VALUES `;
      this.initialised = true;
    } finally {
      conn.release();
    }
  }

  /** Column name → DATETIME precision (0 for other types) of the access-log table. */
  private async columns(conn: mysql.PoolConnection): Promise<Map<string, number>> {
    const [rows] = await conn.query(
      'SELECT COLUMN_NAME AS name, DATETIME_PRECISION AS p FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?',
      [TABLE],
    );
    return new Map((rows as { name: string; p: number | null }[]).map((r) => [r.name, r.p ?? 0]));
  }

  hasColumn(name: string): boolean {
    return this.presentNames.has(name);
  }

  async readPosition(spoolId: string): Promise<SpoolPosition | null> {
    const [rows] = await this.pool.query({ sql: `SELECT segment, seg_offset FROM ${POSITIONS_TABLE} WHERE spool_id = ?`, values: [spoolId], timeout: 30_000 });
    const r = (rows as { segment: number | string; seg_offset: number | string }[])[0];
    return r ? { segment: Number(r.segment), offset: Number(r.seg_offset) } : null;
  }

  /** One `(...)` tuple of escaped literals; the text protocol keeps multi-row INSERTs cheap. */
  private tuple(r: Row): string {
    let s = '(';
    const present = this.present;
    for (let k = 0; k < present.length; k++) {
      const i = present[k];
      let v = r[i];
      if (i === START && typeof v === 'string') {
        // RFC 3339 → 'YYYY-MM-DD HH:MM:SS[.mmm]' (UTC, the connection's time zone)
        v = v.slice(0, 10) + ' ' + v.slice(11, this.startTimeMs ? 23 : 19);
      }
      if (k > 0) s += ',';
      s += v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : NEEDS_ESCAPE.test(v) ? mysql.escape(v) : `'${v}'`;
    }
    return s + ')';
  }

  async writeBatch(rows: readonly Row[], pos: CommitPosition, maxRowsPerStatement: number): Promise<void> {
    if (!this.initialised) await this.init();
    await this.prepareBatch(rows, maxRowsPerStatement)(pos);
  }

  prepareBatch(rows: readonly Row[], maxRowsPerStatement: number): (pos: CommitPosition) => Promise<void> {
    if (!this.initialised) return async (pos) => this.writeBatch(rows, pos, maxRowsPerStatement);
    // Build every statement before taking a connection, so the connection is busy only with I/O.
    const statements: string[] = [];
    for (let i = 0; i < rows.length; i += maxRowsPerStatement) {
      const end = Math.min(rows.length, i + maxRowsPerStatement);
      const parts = new Array<string>(end - i);
      for (let j = i; j < end; j++) parts[j - i] = this.tuple(rows[j]);
      statements.push(this.insertPrefix + parts.join(','));
    }
    return (pos) => this.execute(statements, pos);
  }

  /**
   * One round trip per batch: the transaction, its INSERTs, the position and the COMMIT go as a
   * single multi-statement query, so the server never waits for the client between statements.
   * On any error the server stops at the failing statement and the connection is destroyed,
   * which rolls the open transaction back.
   */
  private async execute(statements: string[], pos: CommitPosition): Promise<void> {
    const position = mysql.format(
      `INSERT INTO ${POSITIONS_TABLE} (spool_id, segment, seg_offset) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE segment = VALUES(segment), seg_offset = VALUES(seg_offset)`,
      [pos.spoolId, pos.segment, pos.offset],
    );
    // A batch may hold no rows (only a dropped torn tail): then just the position moves.
    const sql = ['START TRANSACTION', ...statements, position, 'COMMIT'].join(';\n');
    const conn = await this.pool.getConnection();
    let ok = false;
    try {
      await conn.query({ sql, timeout: WRITE_TIMEOUT_MS });
      ok = true;
    } catch (e) {
      if (isContentError(e)) throw new BatchRejectedError((e as Error).message);
      throw e;
    } finally {
      if (ok) conn.release();
      else {
        // The connection's state is unknown (maybe mid-transaction, maybe gone): never reuse it.
        conn.destroy();
      }
    }
  }

  async writeRowsSettingAside(rows: readonly Row[], pos: CommitPosition, setAside: (rows: Row[], reason: string) => Promise<void>): Promise<number> {
    if (!this.initialised) await this.init();
    const conn = await this.pool.getConnection();
    let ok = false;
    try {
      await conn.query({ sql: 'START TRANSACTION', timeout: WRITE_TIMEOUT_MS });
      const refused: Row[] = [];
      let reason = '';
      for (const r of rows) {
        try {
          await conn.query({ sql: this.insertPrefix + this.tuple(r), timeout: WRITE_TIMEOUT_MS });
        } catch (e) {
          // InnoDB rolls back only the failed statement; the transaction goes on.
          if (!isContentError(e)) throw e;
          refused.push(r);
          reason = (e as Error).message;
        }
      }
      if (refused.length > 0) await setAside(refused, reason);
      await conn.query({
        sql: `INSERT INTO ${POSITIONS_TABLE} (spool_id, segment, seg_offset) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE segment = VALUES(segment), seg_offset = VALUES(seg_offset)`,
        values: [pos.spoolId, pos.segment, pos.offset],
        timeout: WRITE_TIMEOUT_MS,
      });
      await conn.query({ sql: 'COMMIT', timeout: WRITE_TIMEOUT_MS });
      ok = true;
      return refused.length;
    } finally {
      if (ok) conn.release();
      else conn.destroy();
    }
  }

  async deleteOlderThan(cutoffMs: number, limit: number): Promise<number> {
    // In start_time order along its index, so each batch touches (and locks) only the oldest rows.
    const [r] = await this.pool.query({ sql: `DELETE FROM ${TABLE} WHERE start_time < ? ORDER BY start_time LIMIT ?`, values: [toSqlDateTime(cutoffMs), limit], timeout: WRITE_TIMEOUT_MS });
    return (r as { affectedRows: number }).affectedRows;
  }

  async recomputeCost(costSql: string, fromMs: number, toMs: number): Promise<number> {
    const [r] = await this.pool.query({ sql: `UPDATE ${TABLE} SET cost = ${costSql} WHERE start_time >= ? AND start_time < ?`, values: [toSqlDateTime(fromMs), toSqlDateTime(toMs)], timeout: WRITE_TIMEOUT_MS });
    return (r as { affectedRows: number }).affectedRows;
  }

  async ping(): Promise<void> {
    await this.pool.query({ sql: 'SELECT 1', timeout: 5_000 });
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
