import { FIELDS, type Field } from './fields.js';

export type Dialect = 'mysql' | 'sqlite' | 'postgres' | 'clickhouse';
export const TABLE = 'access_logs';

function quoteComment(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function columnSql(d: Dialect, f: Field): string {
  const type = f.sql[d];
  return d === 'mysql' ? `${f.name} ${type} COMMENT ${quoteComment(f.doc)}` : `${f.name} ${type}`;
}

/** Fields that get a secondary index on a table the collector creates. */
export function indexedFields(): readonly Field[] {
  return FIELDS.filter((f) => ('indexed' in f && f.indexed) || ('extraIndex' in f && f.extraIndex));
}

/**
 * Statements that create the access-log table (and its indexes) when it is missing.
 * For MySQL this is the seed's table (seed/access_logs.sql) with millisecond start_time, the
 * optional capture columns and a few more indexes; a table created from the seed works as is.
 */
export function createTableSql(d: Dialect, table = TABLE): string[] {
  const cols = FIELDS.map((f) => columnSql(d, f));
  const idx = indexedFields();
  switch (d) {
    case 'mysql':
      return [
        `CREATE TABLE IF NOT EXISTS ${table} (\n  id BIGINT AUTO_INCREMENT PRIMARY KEY,\n  ${cols.join(',\n  ')},\n  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,\n  ${idx
          .map((f) => `INDEX idx_${f.name} (${f.name})`)
          .join(',\n  ')}\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COMMENT='Higress Access Logs'`,
      ];
    case 'sqlite':
      return [
        `CREATE TABLE IF NOT EXISTS ${table} (\n  id INTEGER PRIMARY KEY AUTOINCREMENT,\n  ${cols.join(',\n  ')},\n  created_at TEXT DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))\n)`,
        ...idx.map((f) => `CREATE INDEX IF NOT EXISTS idx_${f.name} ON ${table} (${f.name})`),
      ];
    case 'postgres':
      return [
        `CREATE TABLE IF NOT EXISTS ${table} (\n  id BIGSERIAL PRIMARY KEY,\n  ${cols.join(',\n  ')},\n  created_at TIMESTAMPTZ DEFAULT now()\n)`,
        ...idx.map((f) => `CREATE INDEX IF NOT EXISTS idx_${f.name} ON ${table} (${f.name})`),
        // The MySQL table's comments, in PostgreSQL's own statements.
        `COMMENT ON TABLE ${table} IS 'Higress Access Logs'`,
        ...FIELDS.map((f) => `COMMENT ON COLUMN ${table}.${f.name} IS ${quoteComment(f.doc)}`),
      ];
    case 'clickhouse':
      return [
        `CREATE TABLE IF NOT EXISTS ${table} (\n  id UInt64,\n  ${cols.join(',\n  ')},\n  created_at DateTime DEFAULT now()\n) ENGINE = MergeTree ORDER BY (start_time, id)`,
      ];
  }
}

/** Statement that adds one missing column (used for the optional capture columns). */
export function addColumnSql(d: Dialect, f: Field, table = TABLE): string {
  return `ALTER TABLE ${table} ADD COLUMN ${columnSql(d, f)}`;
}
