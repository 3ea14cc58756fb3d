/**
 * The stores the collector writes to, described once: the READMEs' store table is generated
 * from this list (storeTable) and a test checks that both READMEs carry it unchanged.
 */
export interface StoreInfo {
  store: string;
  /** How users name it. */
  target: string;
  driver: string;
  /** How a batch of rows goes in. */
  writes: string;
  /** What RETENTION_DAYS runs. */
  retention: string;
  /** Where `/stats` is computed. */
  stats: string;
}

export const STORES: readonly StoreInfo[] = [
  {
    store: 'SQLite (default)',
    target: '`DATA_DIR/access_logs.db`, or `DATABASE_URL=sqlite:path`',
    driver: 'better-sqlite3',
    writes: 'prepared single-row INSERTs in one transaction',
    retention: '`DELETE … WHERE id IN (SELECT id … LIMIT n)`',
    stats: 'in SQLite, on a worker thread',
  },
  {
    store: 'MySQL / MariaDB',
    target: '`MYSQL_DSN` (Go format) or `DATABASE_URL=mysql://…`',
    driver: 'mysql2',
    writes: 'multi-row INSERTs, the transaction in one round trip',
    retention: '`DELETE … ORDER BY start_time LIMIT n`',
    stats: 'in the database',
  },
  {
    store: 'PostgreSQL',
    target: '`DATABASE_URL=postgres://…?sslmode=…`',
    driver: 'pg, pg-copy-streams',
    writes: '`COPY … FROM STDIN` (text format)',
    retention: '`DELETE … WHERE ctid = ANY (ARRAY(SELECT ctid … LIMIT n))`',
    stats: 'in the database',
  },
  {
    store: 'ClickHouse',
    target: '`DATABASE_URL=clickhouse://…` (`?cluster=` for a Distributed table)',
    driver: '@clickhouse/client (HTTP)',
    writes: 'one `INSERT … FORMAT TabSeparated` per batch, then the spool position',
    retention: '`ALTER TABLE … DROP PARTITION` of whole days (and a TTL on 20.3+)',
    stats: 'in the database, through `FINAL`',
  },
];

/** The Markdown table of STORES, as the READMEs carry it. */
export function storeTable(): string {
  const head = ['store', 'configured by', 'driver', 'rows written with', 'RETENTION_DAYS runs', '`/stats` computed'];
  const rows = STORES.map((s) => [s.store, s.target, s.driver, s.writes, s.retention, s.stats]);
  return [head, head.map(() => '---'), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}
