import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Logger } from 'pino';
import { FIELDS, TABLE, addColumnSql, createTableSql, type Dialect } from '@db-log-pusher/schema';
import type { Row } from '../../ingest/normalize.js';
import type { SpoolPosition } from '../../spool/spool.js';
import type { SqlReader } from '../sql-reader.js';
import { BatchRejectedError, POSITIONS_TABLE, type CommitPosition, type LogStore } from '../types.js';
import { tlsOptions } from './tls.js';
import type { PostgresConfig } from './url.js';
import { copyText, numberedPlaceholders, rowParams } from './values.js';

export { parsePostgresUrl, SSL_MODES, type PostgresConfig, type SslMode } from './url.js';

/** Statement timeout for writes, so a database that stops answering is noticed and retried. */
const WRITE_TIMEOUT_MS = 60_000;
const READ_TIMEOUT_MS = 30_000;
/** Serialises the DDL of replicas that start together (CREATE TABLE IF NOT EXISTS races in PostgreSQL). */
const DDL_LOCK = 7_220_141;
const JSON_COLUMNS: ReadonlySet<number> = new Set(FIELDS.map((f, i) => (f.sql.postgres === 'JSONB' ? i : -1)).filter((i) => i >= 0));

/**
 * Errors about a row's content: SQLSTATE class 22 (data exception), 23 (integrity constraint,
 * CHECK included) and 54 (a value past a limit). Connection errors carry no SQLSTATE.
 */
function isContentError(e: unknown): boolean {
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|54)[0-9A-Z]{3}$/.test(code);
}

/**
 * Integers and sums come back as numbers (int8 and numeric are strings by default), and
 * TIMESTAMP as its text (the default makes a Date in the process's local time zone).
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    if (oid === 1114) return (v: string) => v;
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

const UPSERT_POSITION = `INSERT INTO ${POSITIONS_TABLE} (spool_id, segment, seg_offset) VALUES ($1, $2, $3)
  ON CONFLICT (spool_id) DO UPDATE SET segment = EXCLUDED.segment, seg_offset = EXCLUDED.seg_offset, updated_at = now()`;

/**
 * PostgreSQL through node-postgres. Rows go in with COPY (text format), the fastest bulk path,
 * inside the transaction that also moves the spool position, so a replay never stores a row twice.
 */
export class PostgresStore implements LogStore {
  readonly dialect: Dialect = 'postgres';
  readonly description: string;
  readonly reader: SqlReader;
  private pool: pg.Pool | undefined;
  /** false once `prefer` found a server without TLS. */
  private tls = true;
  /** Indexes into FIELDS of the columns the table has. */
  private present: number[] = FIELDS.map((_, i) => i);
  /** Names of the present columns, for hasColumn. */
  private presentNames: ReadonlySet<string> = new Set(FIELDS.map((f) => f.name));
  private copySql = '';
  private insertSql = '';
  private initialised = false;

  constructor(
    private readonly cfg: PostgresConfig,
    private readonly log: Logger,
  ) {
    this.description = `postgres://${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}?sslmode=${cfg.sslmode}`;
    this.reader = {
      dialect: 'postgres',
      all: async (sql, params) => {
        const client = await this.connect();
        try {
          const r = await client.query({ text: numberedPlaceholders(sql), values: params as unknown[], query_timeout: READ_TIMEOUT_MS } as pg.QueryConfig);
          client.release();
          return r.rows as Record<string, unknown>[];
        } catch (e) {
          client.release(e as Error);
          throw e;
        }
      },
    };
  }

  private makePool(): pg.Pool {
    const c = this.cfg;
    const pool = new pg.Pool({
      host: c.host,
      port: c.port,
      user: c.user,
      password: c.password,
      database: c.database,
      ssl: this.tls ? tlsOptions(c) : false,
      connectionTimeoutMillis: c.connectTimeoutMs,
      application_name: c.applicationName,
      // Times travel as UTC text; a user's table with TIMESTAMPTZ then reads and filters in UTC too.
      options: '-c TimeZone=UTC',
      keepAlive: true,
      max: 4,
      types: TYPES,
      statement_timeout: WRITE_TIMEOUT_MS,
      // A transaction left open by a vanished collector must not hold locks for long.
      idle_in_transaction_session_timeout: WRITE_TIMEOUT_MS,
    } as pg.PoolConfig);
    // A connection lost while idle or between the statements of a transaction emits 'error' on
    // its client; that must not crash the process (the next query on it fails and is retried).
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    return pool;
  }

  /** A pooled connection; with sslmode=prefer, plain TCP when the server has no TLS. */
  private async connect(): Promise<pg.PoolClient> {
    this.pool ??= this.makePool();
    try {
      return await this.pool.connect();
    } catch (e) {
      if (this.cfg.sslmode !== 'prefer' || !this.tls || !/does not support SSL/.test((e as Error).message)) throw e;
      this.tls = false;
      const old = this.pool;
      this.pool = this.makePool();
      void old.end().catch(() => undefined);
      return this.pool.connect();
    }
  }

  /** Runs `fn` in a transaction; the connection is dropped after any error (its state is unknown). */
  private async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let timer: NodeJS.Timeout | undefined;
    try {
      await client.query('BEGIN');
      const work = fn(client);
      work.catch(() => undefined); // awaited below; a timeout must not leave it unhandled
      // COPY streams have no query timeout of their own: bound the whole transaction.
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`database write took longer than ${WRITE_TIMEOUT_MS} ms`)), WRITE_TIMEOUT_MS);
      });
      const out = await Promise.race([work, timeout]);
      await client.query('COMMIT');
      client.release();
      return out;
    } catch (e) {
      client.release(e instanceof Error ? e : new Error(String(e)));
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  async init(): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [DDL_LOCK]);
      const exists = await client.query('SELECT to_regclass($1) IS NOT NULL AS e', [TABLE]);
      if (!exists.rows[0].e) {
        for (const sql of createTableSql('postgres')) await client.query(sql);
        this.log.info({ table: TABLE }, 'created the access-log table');
      }
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (spool_id VARCHAR(64) PRIMARY KEY, segment BIGINT NOT NULL, seg_offset BIGINT NOT NULL, updated_at TIMESTAMPTZ DEFAULT now())`,
      );
      const cols = await this.columns(client);
      for (const f of FIELDS) {
        if (cols.has(f.name) || f.seed) continue;
        // A savepoint each: a refused ALTER (no permission) must not abort the transaction.
        await client.query('SAVEPOINT add_column');
        try {
          await client.query(addColumnSql('postgres', f));
          await client.query('RELEASE SAVEPOINT add_column');
          this.log.info({ column: f.name }, 'added an optional column to the access-log table');
        } catch (e) {
          await client.query('ROLLBACK TO SAVEPOINT add_column');
          if (!this.initialised) this.log.warn({ column: f.name, err: (e as Error).message }, 'cannot add an optional column; this field will not be stored');
        }
      }
      const now = await this.columns(client);
      const lacking = FIELDS.filter((f) => !now.has(f.name)).map((f) => f.name);
      if (lacking.length && !this.initialised) this.log.warn({ columns: lacking }, 'the access-log table lacks these columns; their values are dropped');
      this.present = FIELDS.map((f, i) => (now.has(f.name) ? i : -1)).filter((i) => i >= 0);
      this.presentNames = new Set(this.present.map((i) => FIELDS[i].name));
      const names = this.present.map((i) => FIELDS[i].name);
      this.copySql = `COPY ${TABLE} (${names.join(', ')}) FROM STDIN`;
      this.insertSql = `INSERT INTO ${TABLE} (${names.join(', ')}) VALUES (${names.map((_, k) => `$${k + 1}`).join(', ')})`;
    });
    this.initialised = true;
  }

  private async columns(client: pg.PoolClient): Promise<Set<string>> {
    const r = await client.query('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [TABLE]);
    return new Set(r.rows.map((x: { column_name: string }) => x.column_name));
  }

  hasColumn(name: string): boolean {
    return this.presentNames.has(name);
  }

  async readPosition(spoolId: string): Promise<SpoolPosition | null> {
    const [r] = await this.reader.all(`SELECT segment, seg_offset FROM ${POSITIONS_TABLE} WHERE spool_id = ?`, [spoolId]);
    return r ? { segment: Number(r.segment), offset: Number(r.seg_offset) } : null;
  }

  async writeBatch(rows: readonly Row[], pos: CommitPosition): Promise<void> {
    if (!this.initialised) await this.init();
    await this.prepareBatch(rows)(pos);
  }

  prepareBatch(rows: readonly Row[]): (pos: CommitPosition) => Promise<void> {
    if (!this.initialised) return async (pos) => this.writeBatch(rows, pos);
    // Encode before taking a connection, so the connection is busy only with I/O.
    const data = rows.length ? Buffer.from(copyText(rows, this.present, JSON_COLUMNS)) : null;
    const copySql = this.copySql;
    return async (pos) => {
      try {
        await this.transaction(async (client) => {
          // A batch may hold no rows (only a dropped torn tail): then just the position moves.
          if (data) await pipeline(Readable.from([data]), client.query(copyFrom(copySql)));
          await client.query(UPSERT_POSITION, [pos.spoolId, pos.segment, pos.offset]);
        });
      } catch (e) {
        if (isContentError(e)) throw new BatchRejectedError((e as Error).message);
        throw e;
      }
    };
  }

  async writeRowsSettingAside(rows: readonly Row[], pos: CommitPosition, setAside: (rows: Row[], reason: string) => Promise<void>): Promise<number> {
    if (!this.initialised) await this.init();
    return this.transaction(async (client) => {
      const refused: Row[] = [];
      let reason = '';
      for (const r of rows) {
        // An error aborts a PostgreSQL transaction: each row gets a savepoint to roll back to.
        await client.query('SAVEPOINT row_write');
        try {
          await client.query(this.insertSql, rowParams(r, this.present, JSON_COLUMNS));
          await client.query('RELEASE SAVEPOINT row_write');
        } catch (e) {
          if (!isContentError(e)) throw e;
          await client.query('ROLLBACK TO SAVEPOINT row_write');
          refused.push(r);
          reason = (e as Error).message;
        }
      }
      if (refused.length > 0) await setAside(refused, reason);
      await client.query(UPSERT_POSITION, [pos.spoolId, pos.segment, pos.offset]);
      return refused.length;
    });
  }

  async recomputeCost(costSql: string, fromMs: number, toMs: number): Promise<number> {
    const client = await this.connect();
    try {
      const r = await client.query(`UPDATE ${TABLE} SET cost = ${costSql} WHERE start_time >= $1 AND start_time < $2`, [new Date(fromMs).toISOString(), new Date(toMs).toISOString()]);
      client.release();
      return r.rowCount ?? 0;
    } catch (e) {
      client.release(e as Error);
      throw e;
    }
  }

  async deleteOlderThan(cutoffMs: number, limit: number): Promise<number> {
    // By physical row address (ctid): a bounded batch without needing an ORDER BY or an id range.
    const sql = `DELETE FROM ${TABLE} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${TABLE} WHERE start_time < $1 LIMIT $2))`;
    const client = await this.connect();
    try {
      const r = await client.query(sql, [new Date(cutoffMs).toISOString(), limit]);
      client.release();
      return r.rowCount ?? 0;
    } catch (e) {
      client.release(e as Error);
      throw e;
    }
  }

  async ping(): Promise<void> {
    await this.reader.all('SELECT 1', []);
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end().catch(() => undefined);
  }
}
