import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parsePostgresUrl, type PostgresConfig } from './store/postgres/url.js';
import { parseClickhouseUrl, type ClickhouseConfig } from './store/clickhouse/url.js';
import { BUILTIN_PRICES } from './cost/builtin.js';
import { loadPriceFile, PriceFileError, PriceTable } from './cost/prices.js';

/** Where the collector stores logs, resolved from MYSQL_DSN / DATABASE_URL / DATA_DIR. */
export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'mysql';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      /** Connect timeout in ms (Go DSN `timeout`, default 5 s). */
      connectTimeoutMs: number;
    }
  | PostgresConfig
  | ClickhouseConfig;

export interface CollectorConfig {
  port: number;
  /** Port of a separate ingest listener (POST /ingest, /health, /ready); unset: ingest on `port`. */
  ingestPort?: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  /** RETENTION_DAYS; 0 keeps rows forever. */
  retentionDays: number;
  flushSize: number;
  flushIntervalMs: number;
  maxBatchRows: number;
  bodyLimit: number;
  maxRecordsPerRequest: number;
  spoolMaxBytes: number;
  ingestToken?: string;
  queryToken?: string;
  metricsToken?: string;
  logLevel: string;
  shutdownTimeoutMs: number;
  /** Longest a request may take to arrive, headers and body. */
  requestTimeoutMs: number;
  /** Directory of the built dashboard served at `/`. */
  dashboardDir: string;
  /** Model prices for `cost`: PRICES_FILE, else the built-in table (cost/builtin.ts). */
  prices: PriceTable;
  /** Most models (and consumers) with a label of their own in the usage metrics. */
  metricsLabelLimit: number;
}

/** `packages/dashboard/dist` of this installation (the same relative place from `src/` and `dist/`). */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

/** A configuration value the collector cannot use; the CLI prints it and exits with code 2. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Kind = 'int' | 'bytes' | 'string' | 'level';
interface Option {
  env: string;
  flag: string;
  kind: Kind;
  def?: string;
  doc: string;
}

/** Every setting: an environment variable and the equivalent CLI flag. The README table mirrors this. */
export const OPTIONS: readonly Option[] = [
  { env: 'PORT', flag: 'port', kind: 'int', def: '8080', doc: 'HTTP port' },
  { env: 'INGEST_PORT', flag: 'ingest-port', kind: 'int', doc: 'Serve POST /ingest (with /health and /ready) on this port, and everything else on PORT without ingest (unset: ingest on PORT)' },
  { env: 'HOST', flag: 'host', kind: 'string', def: '127.0.0.1', doc: 'Address to listen on (loopback; the container image sets 0.0.0.0)' },
  { env: 'MYSQL_DSN', flag: 'mysql-dsn', kind: 'string', doc: 'MySQL/MariaDB DSN in Go driver format: user:password@tcp(host:3306)/db?charset=utf8mb4&parseTime=True&loc=Local' },
  { env: 'DATABASE_URL', flag: 'database-url', kind: 'string', doc: 'mysql://user:password@host:3306/db, postgres://user:password@host:5432/db?sslmode=require, clickhouse://user:password@host:8123/db or sqlite:path/to/file.db (used when MYSQL_DSN is unset)' },
  { env: 'DATA_DIR', flag: 'data-dir', kind: 'string', def: './data', doc: 'Directory for the spool and the default SQLite database (access_logs.db)' },
  { env: 'RETENTION_DAYS', flag: 'retention-days', kind: 'int', def: '0', doc: 'Delete rows whose start_time is older than this many days, in small batches every hour (0: keep everything)' },
  { env: 'FLUSH_SIZE', flag: 'flush-size', kind: 'int', def: '50', doc: 'Write to the database once this many records are pending' },
  { env: 'FLUSH_INTERVAL_MS', flag: 'flush-interval-ms', kind: 'int', def: '1000', doc: '... or once the oldest pending record is this old (ms)' },
  { env: 'MAX_BATCH_ROWS', flag: 'max-batch-rows', kind: 'int', def: '1000', doc: 'Most rows per INSERT statement while the database is busy' },
  { env: 'BODY_LIMIT', flag: 'body-limit', kind: 'bytes', def: '10mb', doc: 'Largest ingest request body (413 past it); accepts kb/mb/gb' },
  { env: 'MAX_RECORDS_PER_REQUEST', flag: 'max-records-per-request', kind: 'int', def: '10000', doc: 'Most records in one ingest request (413 past it)' },
  { env: 'SPOOL_MAX_BYTES', flag: 'spool-max-bytes', kind: 'bytes', def: '1gb', doc: 'Bound of the on-disk spool; past it ingest answers 503 with Retry-After' },
  { env: 'INGEST_TOKEN', flag: 'ingest-token', kind: 'string', doc: 'Bearer token required by POST /ingest (unset: open)' },
  { env: 'QUERY_TOKEN', flag: 'query-token', kind: 'string', doc: 'Bearer token required by every route that reads logs (unset: open)' },
  { env: 'METRICS_TOKEN', flag: 'metrics-token', kind: 'string', doc: 'Bearer token required by GET /metrics (unset: open)' },
  { env: 'LOG_LEVEL', flag: 'log-level', kind: 'level', def: 'info', doc: 'fatal, error, warn, info, debug, trace or silent' },
  { env: 'SHUTDOWN_TIMEOUT_MS', flag: 'shutdown-timeout-ms', kind: 'int', def: '10000', doc: 'On SIGTERM, how long to keep draining the spool into the database' },
  { env: 'REQUEST_TIMEOUT_MS', flag: 'request-timeout-ms', kind: 'int', def: '30000', doc: 'Longest a request may take to arrive, headers (at most 10 s of it) and body; past it 408 and the connection is closed' },
  { env: 'PRICES_FILE', flag: 'prices-file', kind: 'string', doc: 'JSON price table per 1M tokens, {"currency":"USD","models":{"gpt-4o":{"input":2.5,"output":10,"cached_input":1.25}}}; replaces the built-in one' },
  { env: 'METRICS_LABEL_LIMIT', flag: 'metrics-label-limit', kind: 'int', def: '20', doc: 'Most models and most consumers with a label of their own in the /metrics token and cost counters (the busiest; the rest are "other")' },
  { env: 'DASHBOARD_DIR', flag: 'dashboard-dir', kind: 'string', doc: 'Directory of the built dashboard served at / (unset: packages/dashboard/dist of this installation)' },
];

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export function helpText(): string {
  const lefts = [...OPTIONS.map((o) => `  --${o.flag} <${o.env}>`), '  -h, --help'];
  const width = Math.max(...lefts.map((l) => l.length)) + 2;
  const rows = OPTIONS.map((o, i) => `${lefts[i].padEnd(width)}${o.doc}${o.def !== undefined ? ` (default ${o.def})` : ''}`);
  return [
    'log-collector: durable access-log collector (ingest, query API, metrics)',
    '',
    'Usage: log-collector [options]',
    '       log-collector drain --data-dir DIR [database options]',
    '       log-collector recompute-cost --from TIME --to TIME [database options] [--prices-file FILE]',
    '         sets cost again for the rows with from <= start_time < to, from the current prices',
    '         empties the spool under DIR (left by a replica that is gone) into the database and',
    '         exits: 0 once it is empty; retries while the database is down; safe to repeat',
    '',
    'Every option is also read from the environment variable in <>; flags win.',
    '',
    ...rows,
    `${lefts[lefts.length - 1].padEnd(width)}Show this help`,
    '',
    'Without MYSQL_DSN or DATABASE_URL the logs go to an embedded SQLite file under DATA_DIR.',
  ].join('\n');
}

function parseInteger(name: string, v: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(v.trim())) throw new ConfigError(`${name} must be a whole number, got "${v}"`);
  const n = Number(v.trim());
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Byte sizes: a number of bytes or with a binary unit suffix (10mb = 10 MiB). */
export function parseBytes(name: string, v: string): number {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(v);
  const unit = m ? UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new ConfigError(`${name} must be a size such as 1048576, 512kb, 10mb or 1gb, got "${v}"`);
  const n = Number(m[1]) * unit;
  if (n < 1) throw new ConfigError(`${name} must be at least 1 byte`);
  return n;
}

function parseGoDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60000);
}

/**
 * Parses a DSN in the Go MySQL driver's format, as the seed's manifests carry it:
 * `[user[:password]@][tcp[(host[:port])]]/dbname[?param=value&...]`. Like the driver, the last
 * `/` separates the database name and the last `@` before it separates the credentials, so
 * passwords may hold `@` and `/`. `parseTime` and `loc` are accepted and ignored: timestamps
 * are handled as UTC end to end.
 */
export function parseGoMysqlDsn(dsn: string): Extract<DatabaseConfig, { kind: 'mysql' }> {
  const q = dsn.indexOf('?', dsn.lastIndexOf('/'));
  const main = q >= 0 ? dsn.slice(0, q) : dsn;
  const query = new URLSearchParams(q >= 0 ? dsn.slice(q + 1) : '');
  const slash = main.lastIndexOf('/');
  if (slash < 0) throw new ConfigError('MYSQL_DSN must look like user:password@tcp(host:3306)/dbname');
  const database = main.slice(slash + 1);
  const before = main.slice(0, slash);
  const at = before.lastIndexOf('@');
  const cred = at >= 0 ? before.slice(0, at) : '';
  const netAddr = at >= 0 ? before.slice(at + 1) : before;
  const colon = cred.indexOf(':');
  const user = colon >= 0 ? cred.slice(0, colon) : cred;
  const password = colon >= 0 ? cred.slice(colon + 1) : '';
  let host = '127.0.0.1';
  let port = 3306;
  if (netAddr) {
    const m = /^(\w+)(?:\((.*)\))?$/.exec(netAddr);
    if (!m) throw new ConfigError(`MYSQL_DSN: cannot read the address "${netAddr}" (expected tcp(host:port))`);
    if (m[1] !== 'tcp') throw new ConfigError(`MYSQL_DSN: only the tcp protocol is supported, got "${m[1]}"`);
    if (m[2]) {
      const hp = /^\[?([^\]]*?)\]?(?::(\d+))?$/.exec(m[2]);
      if (!hp || !hp[1]) throw new ConfigError(`MYSQL_DSN: cannot read host:port "${m[2]}"`);
      host = hp[1];
      if (hp[2]) port = parseInteger('MYSQL_DSN port', hp[2], 1, 65535);
    }
  }
  if (!database) throw new ConfigError('MYSQL_DSN has no database name after "/"');
  if (!/^[A-Za-z0-9_$]+$/.test(database)) throw new ConfigError(`MYSQL_DSN: unsupported database name "${database}"`);
  const charset = query.get('charset');
  if (charset && !/^utf8(mb4)?$/i.test(charset)) throw new ConfigError(`MYSQL_DSN: charset must be utf8mb4, got "${charset}"`);
  const timeout = query.get('timeout');
  const connectTimeoutMs = timeout ? parseGoDuration(timeout) : 5000;
  if (connectTimeoutMs === undefined) throw new ConfigError(`MYSQL_DSN: cannot read timeout "${timeout}" (e.g. 5s)`);
  return { kind: 'mysql', host, port, user, password, database, connectTimeoutMs };
}

/** Parses DATABASE_URL: `mysql://user:pass@host:port/db`, `postgres://…` or `sqlite:path` (`sqlite://path`). */
export function parseDatabaseUrl(url: string, dataDir: string): DatabaseConfig {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length).replace(/^\/\//, '');
    if (!file) throw new ConfigError('DATABASE_URL=sqlite: needs a file path, e.g. sqlite:./data/access_logs.db');
    return { kind: 'sqlite', file: resolve(dataDir, file) };
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`DATABASE_URL is not a URL: "${url.replace(/\/\/[^@/]*@/, '//***@')}"`);
  }
  if (u.protocol === 'mysql:' || u.protocol === 'mariadb:') {
    const database = decodeURIComponent(u.pathname.replace(/^\//, ''));
    if (!database) throw new ConfigError('DATABASE_URL needs a database name: mysql://user:pass@host:3306/dbname');
    if (!/^[A-Za-z0-9_$]+$/.test(database)) throw new ConfigError(`DATABASE_URL: unsupported database name "${database}"`);
    return {
      kind: 'mysql',
      host: u.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: u.port ? parseInteger('DATABASE_URL port', u.port, 1, 65535) : 3306,
      user: decodeURIComponent(u.username),
      password: decodeURIComponent(u.password),
      database,
      connectTimeoutMs: 5000,
    };
  }
  if (u.protocol === 'postgres:' || u.protocol === 'postgresql:') {
    try {
      return parsePostgresUrl(u);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  if (u.protocol === 'clickhouse:' || u.protocol === 'clickhouses:') {
    try {
      return parseClickhouseUrl(u);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }
  throw new ConfigError(`DATABASE_URL scheme "${u.protocol}" is not supported (use mysql://, postgres://, clickhouse:// or sqlite:)`);
}

/**
 * Reads the configuration from the environment and the command line (flags override the
 * environment). Throws ConfigError on any invalid value; returns `{ help: true }` for --help.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): CollectorConfig & { help?: boolean } {
  const options: Record<string, { type: 'string' } | { type: 'boolean'; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const o of OPTIONS) options[o.flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, allowPositionals: false, strict: true }));
  } catch (e) {
    throw new ConfigError(`${(e as Error).message} (see --help)`);
  }
  const raw = (o: Option): string | undefined => {
    const v = values[o.flag] ?? env[o.env];
    return typeof v === 'string' && v !== '' ? v : o.def;
  };
  const get: Record<string, string | undefined> = {};
  for (const o of OPTIONS) get[o.env] = raw(o);
  const int = (name: string, min: number, max?: number) => parseInteger(name, get[name]!, min, max);
  const bytes = (name: string) => parseBytes(name, get[name]!);

  const dataDir = resolve(get.DATA_DIR!);
  let database: DatabaseConfig;
  if (get.MYSQL_DSN) database = parseGoMysqlDsn(get.MYSQL_DSN);
  else if (get.DATABASE_URL) database = parseDatabaseUrl(get.DATABASE_URL, dataDir);
  else database = { kind: 'sqlite', file: resolve(dataDir, 'access_logs.db') };

  let prices: PriceTable;
  try {
    prices = new PriceTable(get.PRICES_FILE ? loadPriceFile(resolve(get.PRICES_FILE)) : BUILTIN_PRICES);
  } catch (e) {
    if (e instanceof PriceFileError) throw new ConfigError(`PRICES_FILE ${e.message}`);
    throw e;
  }

  const level = get.LOG_LEVEL!.toLowerCase();
  if (!LEVELS.has(level)) throw new ConfigError(`LOG_LEVEL must be one of ${[...LEVELS].join(', ')}, got "${get.LOG_LEVEL}"`);
  const cfg: CollectorConfig & { help?: boolean } = {
    port: int('PORT', 0, 65535),
    ingestPort: get.INGEST_PORT !== undefined ? int('INGEST_PORT', 0, 65535) : undefined,
    host: get.HOST!,
    dataDir,
    database,
    retentionDays: int('RETENTION_DAYS', 0, 100_000),
    flushSize: int('FLUSH_SIZE', 1, 1_000_000),
    flushIntervalMs: int('FLUSH_INTERVAL_MS', 1, 3_600_000),
    maxBatchRows: int('MAX_BATCH_ROWS', 1, 10_000),
    bodyLimit: bytes('BODY_LIMIT'),
    maxRecordsPerRequest: int('MAX_RECORDS_PER_REQUEST', 1, 1_000_000),
    spoolMaxBytes: bytes('SPOOL_MAX_BYTES'),
    ingestToken: get.INGEST_TOKEN,
    queryToken: get.QUERY_TOKEN,
    metricsToken: get.METRICS_TOKEN,
    logLevel: level,
    shutdownTimeoutMs: int('SHUTDOWN_TIMEOUT_MS', 0, 3_600_000),
    requestTimeoutMs: int('REQUEST_TIMEOUT_MS', 100, 3_600_000),
    dashboardDir: get.DASHBOARD_DIR ? resolve(get.DASHBOARD_DIR) : DEFAULT_DASHBOARD_DIR,
    prices,
    metricsLabelLimit: int('METRICS_LABEL_LIMIT', 1, 1000),
  };
  if (cfg.ingestPort !== undefined && cfg.ingestPort !== 0 && cfg.ingestPort === cfg.port) throw new ConfigError(`INGEST_PORT (${cfg.ingestPort}) must differ from PORT; leave it unset to serve ingest on PORT`);
  if (cfg.flushSize > cfg.maxBatchRows) throw new ConfigError(`FLUSH_SIZE (${cfg.flushSize}) must not exceed MAX_BATCH_ROWS (${cfg.maxBatchRows})`);
  if (values.help) cfg.help = true;
  return cfg;
}

/** The database target without its password, for logs. */
export function describeDatabase(d: DatabaseConfig): string {
  if (d.kind === 'sqlite') return `sqlite:${d.file}`;
  if (d.kind === 'clickhouse') return `clickhouse://${d.user}@${d.host}:${d.port}/${d.database}${d.cluster ? `?cluster=${d.cluster}` : ''}`;
  return `${d.kind}://${d.user}@${d.host}:${d.port}/${d.database}${d.kind === 'postgres' ? `?sslmode=${d.sslmode}` : ''}`;
}
