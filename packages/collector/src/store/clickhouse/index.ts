import { Readable } from 'node:stream';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import type { Logger } from 'pino';
import { FIELDS, TABLE, type Dialect } from '@db-log-pusher/schema';
import type { Row } from '../../ingest/normalize.js';
import type { SpoolFrame, SpoolPosition } from '../../spool/spool.js';
import type { SqlReader } from '../sql-reader.js';
import { BatchRejectedError, POSITIONS_TABLE, type CommitPosition, type LogStore } from '../types.js';
import { createTablesSql, isModern, LOCAL_SUFFIX } from './ddl.js';
import { rowKeys, rowsTsv, type TimeKind } from './rows.js';
import { bindParams, quote, timeLiteral, withFinal } from './sql.js';
import type { ClickhouseConfig } from './url.js';

export { parseClickhouseUrl, type ClickhouseConfig } from './url.js';
export { createTablesSql, isModern } from './ddl.js';

const REQUEST_TIMEOUT_MS = 60_000;

/**
 * ClickHouse error codes about a row's content (a value the column cannot take): parse errors
 * (6, 26, 27, 38, 41, 72), type and range errors (53, 69, 70), INCORRECT_DATA (117) and NULL into
 * a column that is not Nullable (349). Old servers' messages carry no error type, only the code.
 */
const CONTENT_CODES = new Set([6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 349]);

function isContentError(e: unknown): boolean {
  const code = Number((e as { code?: unknown }).code ?? /(?:Code|Error): (\d+)/.exec(String((e as Error).message))?.[1]);
  return CONTENT_CODES.has(code);
}

/** Settings every statement takes, 18.16 included: 64-bit integers as JSON numbers. */
const READ_SETTINGS = { output_format_json_quote_64bit_integers: 0 } as const;

/**
 * ClickHouse over HTTP with the official client. ClickHouse has no transactions, so exactly
 * once is kept another way: each row carries its place in the spool (spool_id, id) as the tail
 * of the ReplacingMergeTree's sorting key, the rows go in first and the spool position after;
 * a crash between the two replays rows whose copies collapse, and every read goes through FINAL
 * so a copy is never seen before the merge removes it.
 */
export class ClickhouseStore implements LogStore {
  readonly dialect: Dialect = 'clickhouse';
  readonly description: string;
  readonly reader: SqlReader & { epochMsTime: boolean };
  private client: ClickHouseClient | undefined;
  private initialised = false;
  private version = '';
  private timeKind: TimeKind = 'datetime64';
  /** Reads collapse copies (a ReplacingMergeTree, or a Distributed table over one). */
  private final = true;
  /** The table has the key columns: rows are keyed by their spool place. */
  private keyed = true;
  private hasId = true;
  /** Indexes into FIELDS of the columns the table has. */
  private present: number[] = FIELDS.map((_, i) => i);
  private presentNames: ReadonlySet<string> = new Set(FIELDS.map((f) => f.name));
  /** The spool id of the last write. */
  private spoolId: string | undefined;

  constructor(
    private readonly cfg: ClickhouseConfig,
    private readonly log: Logger,
    private readonly retentionDays?: number,
  ) {
    this.description = `clickhouse://${cfg.user}@${cfg.host}:${cfg.port}/${cfg.database}${cfg.cluster ? `?cluster=${cfg.cluster}` : ''}`;
    const self = this;
    this.reader = {
      dialect: 'clickhouse',
      get epochMsTime() {
        return self.timeKind === 'epoch-ms';
      },
      all: async (sql, params) => {
        if (!this.initialised) await this.init();
        let text = bindParams(this.final ? withFinal(sql, TABLE) : sql, params, this.timeKind);
        // A user's table without an id: /query's tie-breaker on id is left out.
        if (!this.hasId) text = text.replace(/, id (ASC|DESC)\b/g, '').replace(/ORDER BY id (ASC|DESC)\b/g, 'ORDER BY start_time $1');
        const rs = await this.connect().query({ query: text, format: 'JSONEachRow', clickhouse_settings: READ_SETTINGS });
        const rows = (await rs.json()) as Record<string, unknown>[];
        if (this.timeKind === 'epoch-ms') for (const r of rows) if (typeof r.start_time === 'number') r.start_time = new Date(r.start_time).toISOString();
        return rows;
      },
    };
  }

  private connect(): ClickHouseClient {
    this.client ??= createClient({
      url: this.cfg.url,
      username: this.cfg.user,
      password: this.cfg.password,
      database: this.cfg.database,
      request_timeout: REQUEST_TIMEOUT_MS,
      application: 'log-collector',
      // Plain bodies: the old server's HTTP compression differs, and loopback gains nothing.
      compression: { request: false, response: false },
    });
    return this.client;
  }

  /** Runs a statement that returns nothing (DDL, ALTER). */
  private async command(query: string): Promise<void> {
    await this.connect().command({ query });
  }

  private async rows(query: string): Promise<Record<string, unknown>[]> {
    const rs = await this.connect().query({ query, format: 'JSONEachRow', clickhouse_settings: READ_SETTINGS });
    return (await rs.json()) as Record<string, unknown>[];
  }

  async init(): Promise<void> {
    const c = this.cfg;
    // The database may not exist yet: create it through a client bound to `default`.
    const boot = createClient({ url: c.url, username: c.user, password: c.password, database: 'default', request_timeout: REQUEST_TIMEOUT_MS });
    try {
      await boot.command({ query: `CREATE DATABASE IF NOT EXISTS ${c.database}` });
      const [v] = (await (await boot.query({ query: 'SELECT version() AS v', format: 'JSONEachRow' })).json()) as { v: string }[];
      this.version = v.v;
    } finally {
      await boot.close();
    }
    const modern = isModern(this.version);
    const engine = await this.engine(TABLE);
    if (!engine) {
      for (const sql of createTablesSql({ modern, cluster: c.cluster, database: c.database, retentionDays: this.retentionDays })) await this.command(sql);
      this.log.info({ table: TABLE, version: this.version, modern, cluster: c.cluster }, 'created the access-log table');
    }
    // Positions live on the server the collector talks to, also with a cluster.
    await this.command(createTablesSql({ modern, database: c.database }).at(-1)!);
    await this.inspect();
    this.initialised = true;
  }

  private async engine(table: string): Promise<string | undefined> {
    const [r] = await this.rows(`SELECT engine FROM system.tables WHERE database = ${quote(this.cfg.database)} AND name = ${quote(table)}`);
    return r ? String(r.engine) : undefined;
  }

  /** Reads what the table (created here or by the user) holds: its columns, time type and engine. */
  private async inspect(): Promise<void> {
    const cols = await this.rows(`SELECT name, type FROM system.columns WHERE database = ${quote(this.cfg.database)} AND table = ${quote(TABLE)}`);
    const types = new Map(cols.map((r) => [String(r.name), String(r.type)]));
    const st = types.get('start_time') ?? '';
    this.timeKind = /Int/.test(st) ? 'epoch-ms' : /DateTime64/.test(st) ? 'datetime64' : 'datetime';
    const engine = (await this.engine(TABLE)) ?? '';
    const local = engine === 'Distributed' ? await this.engine(TABLE + LOCAL_SUFFIX) : engine;
    this.final = /Replacing/.test(local ?? engine) || engine === 'Distributed';
    this.keyed = types.has('spool_id') && types.has('id');
    this.hasId = types.has('id');
    // Optional columns (capture, AI usage) a table made by an older version lacks. Not through a
    // Distributed table: its shards' tables would need the same ALTER, which is theirs to run.
    if (engine !== 'Distributed') {
      for (const f of FIELDS) {
        if (f.seed || types.has(f.name)) continue;
        try {
          await this.command(`ALTER TABLE ${TABLE} ADD COLUMN ${f.name} ${f.sql.clickhouse}`);
          types.set(f.name, f.sql.clickhouse);
          this.log.info({ column: f.name }, 'added an optional column to the access-log table');
        } catch (e) {
          if (!this.initialised) this.log.warn({ column: f.name, err: (e as Error).message }, 'cannot add an optional column; this field will not be stored');
        }
      }
    }
    if (!this.initialised) {
      const lacking = FIELDS.filter((f) => !types.has(f.name)).map((f) => f.name);
      if (lacking.length) this.log.warn({ columns: lacking }, 'the access-log table lacks these columns; their values are dropped');
      if (!this.keyed) this.log.warn('the access-log table has no spool_id and id columns: a replay after a crash can store rows twice');
    }
    this.present = FIELDS.map((f, i) => (types.has(f.name) ? i : -1)).filter((i) => i >= 0);
    this.presentNames = new Set(this.present.map((i) => FIELDS[i].name));
  }

  hasColumn(name: string): boolean {
    return this.presentNames.has(name);
  }

  /**
   * recompute-cost as one mutation (`ALTER TABLE … UPDATE`): ClickHouse rewrites the affected
   * parts in the background, so the count is of the rows the mutation covers, and the new
   * values show once it is done (system.mutations). With a cluster, on each shard's table.
   */
  async recomputeCost(costSql: string, fromMs: number, toMs: number): Promise<number> {
    if (!this.initialised) await this.init();
    const where = `start_time >= ${timeLiteral(fromMs, this.timeKind)} AND start_time < ${timeLiteral(toMs, this.timeKind)}`;
    const [r] = await this.rows(`SELECT count() AS n FROM ${TABLE} WHERE ${where}`);
    const n = Number(r?.n ?? 0);
    if (n === 0) return 0;
    const table = this.cfg.cluster ? `${TABLE}${LOCAL_SUFFIX} ON CLUSTER ${this.cfg.cluster}` : TABLE;
    // Cast to the column's type: the mutation's if(where, new, old) finds no common type for Float64 and Decimal.
    const type = FIELDS.find((f) => f.name === 'cost')!.sql.clickhouse;
    await this.command(`ALTER TABLE ${table} UPDATE cost = CAST(${costSql} AS ${type}) WHERE ${where}`);
    return n;
  }

  async readPosition(spoolId: string): Promise<SpoolPosition | null> {
    // The newest position: positions only move forward, and unmerged older rows may remain.
    const [r] = await this.rows(`SELECT segment, seg_offset FROM ${POSITIONS_TABLE} WHERE spool_id = ${quote(spoolId)} ORDER BY segment DESC, seg_offset DESC LIMIT 1`);
    return r ? { segment: Number(r.segment), offset: Number(r.seg_offset) } : null;
  }

  async writeBatch(rows: readonly Row[], pos: CommitPosition, _max?: number, frames?: readonly SpoolFrame[]): Promise<void> {
    if (!this.initialised) await this.init();
    await this.prepareBatch(rows, 0, frames)(pos);
  }

  prepareBatch(rows: readonly Row[], _max: number, frames?: readonly SpoolFrame[]): (pos: CommitPosition) => Promise<void> {
    if (!this.initialised) return async (pos) => this.writeBatch(rows, pos, 0, frames);
    const keys = this.keyed ? rowKeys(frames, rows.length) : [];
    const present = this.present;
    const kind = this.timeKind;
    const keyed = this.keyed;
    const encode = (spoolId: string) => Buffer.from(rowsTsv(rows, present, kind, keyed ? spoolId : null, keys));
    // The spool id comes with the write; a drainer keeps one, so the last one seen is encoded now.
    const early = this.spoolId;
    const body = rows.length && early !== undefined ? encode(early) : null;
    return async (pos) => {
      this.spoolId = pos.spoolId;
      if (rows.length) {
        // One INSERT per batch: ClickHouse makes a part per INSERT, and fewer larger parts merge cheaper.
        try {
          await this.insertTsv(body && early === pos.spoolId ? body : encode(pos.spoolId), present, keyed);
        } catch (e) {
          if (isContentError(e)) throw new BatchRejectedError((e as Error).message);
          throw e;
        }
      }
      await this.insertPosition(pos);
    };
  }

  private async insertTsv(data: Buffer, present: readonly number[], keyed: boolean): Promise<void> {
    await this.connect().insert({
      table: TABLE,
      values: Readable.from([data], { objectMode: false }),
      format: 'TabSeparated',
      columns: columnsOf(present, keyed),
      // Through a Distributed table: answer once the shards have the rows, not when queued here.
      clickhouse_settings: this.cfg.cluster ? { insert_distributed_sync: 1 } : undefined,
    });
  }

  private async insertPosition(pos: CommitPosition): Promise<void> {
    await this.connect().insert({
      table: POSITIONS_TABLE,
      values: [{ spool_id: pos.spoolId, segment: pos.segment, seg_offset: pos.offset }],
      format: 'JSONEachRow',
      columns: ['spool_id', 'segment', 'seg_offset'],
    });
  }

  /**
   * After a refused batch: halves of it are written in turn, a refused half split again, down to
   * the single rows refused, which are set aside (a few INSERTs per bad row, not one per row: each
   * INSERT is a part in ClickHouse). Rows keep their keys, so a crash in the middle replays them
   * harmlessly.
   */
  async writeRowsSettingAside(rows: readonly Row[], pos: CommitPosition, setAside: (rows: Row[], reason: string) => Promise<void>, frames?: readonly SpoolFrame[]): Promise<number> {
    if (!this.initialised) await this.init();
    const keys = this.keyed ? rowKeys(frames, rows.length) : [];
    const refused: Row[] = [];
    let reason = '';
    const put = async (from: number, to: number): Promise<void> => {
      try {
        await this.insertTsv(Buffer.from(rowsTsv(rows.slice(from, to), this.present, this.timeKind, this.keyed ? pos.spoolId : null, keys.slice(from, to))), this.present, this.keyed);
      } catch (e) {
        if (!isContentError(e)) throw e;
        if (to - from === 1) {
          refused.push(rows[from] as Row);
          reason = (e as Error).message;
          return;
        }
        const mid = (from + to) >> 1;
        await put(from, mid);
        await put(mid, to);
      }
    };
    if (rows.length) await put(0, rows.length);
    if (refused.length) await setAside(refused, reason);
    await this.insertPosition(pos);
    return refused.length;
  }

  /**
   * Retention: drops the day partitions wholly before `cutoffMs` (a whole partition at once,
   * instant in ClickHouse; rows of the cutoff's own day stay). Returns the rows dropped.
   * With a cluster, on this server's shard only.
   */
  async dropPartitionsBefore(cutoffMs: number): Promise<number> {
    if (!this.initialised) await this.init();
    const table = this.cfg.cluster ? TABLE + LOCAL_SUFFIX : TABLE;
    const day = new Date(cutoffMs).toISOString().slice(0, 10);
    const parts = await this.rows(
      `SELECT partition, sum(rows) AS n FROM system.parts WHERE database = ${quote(this.cfg.database)} AND table = ${quote(table)} AND active GROUP BY partition`,
    );
    let dropped = 0;
    for (const p of parts) {
      // Partition values of toDate() read as '2026-03-01' (quoted) or 20260301 by version.
      const text = String(p.partition).replace(/'/g, '');
      const iso = /^\d{8}$/.test(text) ? `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}` : text;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(iso) || iso >= day) continue;
      await this.command(`ALTER TABLE ${table} DROP PARTITION ${quote(iso)}`);
      dropped += Number(p.n);
    }
    return dropped;
  }

  /**
   * RETENTION_DAYS: whole day partitions at once, whatever `limit` (a partition drop is instant
   * and needs no merge, unlike a DELETE mutation); rows of the cutoff's own day wait for the
   * next day's pass. Modern servers also have the table's TTL.
   */
  async deleteOlderThan(cutoffMs: number, _limit: number): Promise<number> {
    return this.dropPartitionsBefore(cutoffMs);
  }

  async ping(): Promise<void> {
    const r = await this.connect().ping();
    if (!r.success) throw r.error;
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
  }
}

function columnsOf(present: readonly number[], keyed: boolean): [string, ...string[]] {
  const names = present.map((i) => FIELDS[i].name);
  return (keyed ? [...names, 'spool_id', 'id'] : names) as [string, ...string[]];
}
