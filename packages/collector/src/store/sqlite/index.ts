import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { FIELDS, TABLE, createTableSql, type Dialect } from '@db-log-pusher/schema';
import type { Row } from '../../ingest/normalize.js';
import type { SpoolPosition } from '../../spool/spool.js';
import type { SqlReader } from '../sql-reader.js';
import { POSITIONS_TABLE, type CommitPosition, type LogStore } from '../types.js';

/** The embedded default: one SQLite file in WAL mode. start_time is stored as RFC 3339 text. */
export class SqliteStore implements LogStore {
  readonly dialect: Dialect = 'sqlite';
  readonly description: string;
  readonly reader: SqlReader;
  private db: Database.Database | undefined;
  private insertOne: Database.Statement | undefined;
  private upsertPos: Database.Statement | undefined;

  constructor(private readonly file: string) {
    this.description = `sqlite:${file}`;
    this.reader = {
      dialect: 'sqlite',
      all: async (sql, params) => this.open().prepare(sql).all(...(params as unknown[])) as Record<string, unknown>[],
    };
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    mkdirSync(dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    db.pragma('journal_mode = WAL');
    // The spool already makes accepted records durable; NORMAL keeps WAL commits cheap and safe.
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    this.db = db;
    return db;
  }

  async init(): Promise<void> {
    const db = this.open();
    for (const sql of createTableSql('sqlite')) db.exec(sql);
    db.exec(`CREATE TABLE IF NOT EXISTS ${POSITIONS_TABLE} (spool_id TEXT PRIMARY KEY, segment INTEGER NOT NULL, seg_offset INTEGER NOT NULL, updated_at TEXT)`);
    // Tables created by an older version may lack the optional columns: add them.
    const have = new Set((db.prepare(`PRAGMA table_info(${TABLE})`).all() as { name: string }[]).map((c) => c.name));
    for (const f of FIELDS) if (!have.has(f.name)) db.exec(`ALTER TABLE ${TABLE} ADD COLUMN ${f.name} ${f.sql.sqlite.replace(' NOT NULL', '')}`);
    const cols = FIELDS.map((f) => f.name);
    this.insertOne = db.prepare(`INSERT INTO ${TABLE} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.upsertPos = db.prepare(
      `INSERT INTO ${POSITIONS_TABLE} (spool_id, segment, seg_offset, updated_at) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
       ON CONFLICT(spool_id) DO UPDATE SET segment = excluded.segment, seg_offset = excluded.seg_offset, updated_at = excluded.updated_at`,
    );
  }

  async readPosition(spoolId: string): Promise<SpoolPosition | null> {
    const r = this.open().prepare(`SELECT segment, seg_offset FROM ${POSITIONS_TABLE} WHERE spool_id = ?`).get(spoolId) as { segment: number; seg_offset: number } | undefined;
    return r ? { segment: r.segment, offset: r.seg_offset } : null;
  }

  async writeBatch(rows: readonly Row[], pos: CommitPosition): Promise<void> {
    const db = this.open();
    const ins = this.insertOne!;
    const up = this.upsertPos!;
    // A prepared single-row INSERT in one transaction is SQLite's fastest bulk path.
    db.transaction(() => {
      for (const r of rows) ins.run(r);
      up.run(pos.spoolId, pos.segment, pos.offset);
    })();
  }

  async deleteOlderThan(cutoffMs: number, limit: number): Promise<number> {
    // start_time is canonical RFC 3339 text, which sorts as time. DELETE … LIMIT needs a build
    // option better-sqlite3 leaves out: the batch is chosen by rowid instead.
    const sql = `DELETE FROM ${TABLE} WHERE id IN (SELECT id FROM ${TABLE} WHERE start_time < ? LIMIT ?)`;
    return this.open().prepare(sql).run(new Date(cutoffMs).toISOString(), limit).changes;
  }

  async recomputeCost(costSql: string, fromMs: number, toMs: number): Promise<number> {
    // start_time is canonical RFC 3339 text, which orders as time.
    const sql = `UPDATE ${TABLE} SET cost = ${costSql} WHERE start_time >= ? AND start_time < ?`;
    return this.open().prepare(sql).run(new Date(fromMs).toISOString(), new Date(toMs).toISOString()).changes;
  }

  async ping(): Promise<void> {
    this.open().prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}
