import { FIELDS, TABLE } from '@db-log-pusher/schema';
import { POSITIONS_TABLE } from '../types.js';

/**
 * The tables the ClickHouse store creates when they are missing.
 *
 * - `access_logs`: a ReplacingMergeTree partitioned by day (retention drops whole partitions) and
 *   ordered by (start_time, spool_id, id), the time range being the filter every query has. `id`
 *   is the row's place in its collector's spool, so a row written again after a crash has the
 *   very sorting key of its first copy: merges keep one, and reads with FINAL see one.
 * - With a cluster: `access_logs_local` of that shape on the server, and `access_logs` as a
 *   Distributed table over it, sharded by the record key so that both copies meet on one shard.
 * - `access_logs_spool_positions`: each spool's committed position, newest wins.
 *
 * Modern servers (20.3+) get DateTime64(3) times, LowCardinality strings and a table TTL; old
 * ones (18.16, Debian's package) epoch milliseconds in a UInt64 and partitions dropped by the store.
 */

export interface TableOptions {
  modern: boolean;
  cluster?: string;
  database: string;
  /** Days to keep (modern servers: a TTL; old ones: the store drops partitions). */
  retentionDays?: number;
}

/** Few distinct values each: dictionary-encoded on modern servers. */
const LOW_CARDINALITY = new Set(['method', 'protocol', 'authority', 'response_flags', 'upstream_cluster', 'route_name', 'instance_id', 'api', 'model', 'consumer', 'route', 'service', 'mcp_server', 'mcp_tool', 'istio_policy_status']);

export const LOCAL_SUFFIX = '_local';

/** Columns past the wire fields: whose spool the row came from and its place in it. */
export const KEY_COLUMNS = ['spool_id', 'id'] as const;

function columnType(name: string, type: string, modern: boolean): string {
  if (name === 'start_time') return modern ? "DateTime64(3, 'UTC')" : 'UInt64';
  if (modern && LOW_CARDINALITY.has(name) && type === 'Nullable(String)') return 'LowCardinality(Nullable(String))';
  return type;
}

/** The day of a row: the partition key. */
export function dayExpr(modern: boolean): string {
  return modern ? 'toDate(start_time)' : 'toDate(toDateTime(intDiv(start_time, 1000)))';
}

export function createLocalTableSql(o: TableOptions, table: string): string {
  const cols = FIELDS.map((f) => `${f.name} ${columnType(f.name, f.sql.clickhouse, o.modern)}`);
  const ttl = o.modern && o.retentionDays ? `\nTTL toDateTime(start_time) + INTERVAL ${o.retentionDays} DAY DELETE` : '';
  const settings = o.modern ? '\nSETTINGS index_granularity = 8192' : '';
  return `CREATE TABLE IF NOT EXISTS ${o.database}.${table} (
  ${cols.join(',\n  ')},
  spool_id ${o.modern ? 'LowCardinality(String)' : 'String'},
  id UInt64,
  created_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY ${dayExpr(o.modern)}
ORDER BY (start_time, spool_id, id)${ttl}${settings}`;
}

/** The statements for the tables the store writes to, in order. */
export function createTablesSql(o: TableOptions): string[] {
  const out: string[] = [];
  if (o.cluster) {
    const local = TABLE + LOCAL_SUFFIX;
    out.push(createLocalTableSql(o, local));
    out.push(`CREATE TABLE IF NOT EXISTS ${o.database}.${TABLE} AS ${o.database}.${local}
ENGINE = Distributed(${o.cluster}, ${o.database}, ${local}, cityHash64(spool_id, id))`);
  } else out.push(createLocalTableSql(o, TABLE));
  out.push(`CREATE TABLE IF NOT EXISTS ${o.database}.${POSITIONS_TABLE} (
  spool_id String,
  segment UInt64,
  seg_offset UInt64,
  updated_at DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY spool_id`);
  return out;
}

/** Modern DDL from 20.3 (DateTime64, TTL, LowCardinality without a setting). */
export function isModern(version: string): boolean {
  const [major, minor] = version.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 3);
}
