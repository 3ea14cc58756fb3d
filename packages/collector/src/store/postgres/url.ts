/**
 * `DATABASE_URL=postgres://user:password@host:5432/db?sslmode=…` read the way libpq reads it, so
 * the URL users already have for psql works unchanged. Parsing only: no file is read here (the
 * store loads the certificates when it connects).
 */

/** libpq's sslmode values (`allow` is left out: it would try plain text first). */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresConfig {
  kind: 'postgres';
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** libpq's default is `prefer`: TLS when the server offers it, else plain. */
  sslmode: SslMode;
  /** PEM files (sslrootcert may also be `system`: the system's CAs, as in libpq 16). */
  sslrootcert?: string;
  sslcert?: string;
  sslkey?: string;
  /** libpq `connect_timeout` (seconds in the URL), default 5 s. */
  connectTimeoutMs: number;
  applicationName: string;
}

const PARAMS = new Set(['sslmode', 'sslrootcert', 'sslcert', 'sslkey', 'connect_timeout', 'application_name', 'host', 'port', 'user', 'password', 'dbname']);

/** Parses a postgres:// or postgresql:// URL; throws Error with a message that names the problem. */
export function parsePostgresUrl(url: URL): PostgresConfig {
  const q = url.searchParams;
  for (const k of q.keys()) {
    if (!PARAMS.has(k)) throw new Error(`DATABASE_URL: unsupported parameter "${k}" (supported: ${[...PARAMS].join(', ')})`);
  }
  const sslmode = (q.get('sslmode') ?? 'prefer') as SslMode;
  if (!SSL_MODES.includes(sslmode)) throw new Error(`DATABASE_URL: sslmode must be one of ${SSL_MODES.join(', ')}, got "${sslmode}"`);
  const sslrootcert = q.get('sslrootcert') ?? undefined;
  if (sslmode === 'verify-ca' && !sslrootcert) throw new Error('DATABASE_URL: sslmode=verify-ca needs sslrootcert=/path/to/ca.pem (the CA that signed the server certificate)');
  const portText = q.get('port') ?? url.port;
  const port = portText ? Number(portText) : 5432;
  if (!/^\d+$/.test(String(portText || '5432')) || port < 1 || port > 65535) throw new Error(`DATABASE_URL port must be between 1 and 65535, got "${portText}"`);
  const timeout = q.get('connect_timeout');
  if (timeout !== null && !/^\d+$/.test(timeout)) throw new Error(`DATABASE_URL: connect_timeout is whole seconds, got "${timeout}"`);
  const database = q.get('dbname') ?? decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('DATABASE_URL needs a database name: postgres://user:pass@host:5432/dbname');
  const user = q.get('user') ?? decodeURIComponent(url.username);
  return {
    kind: 'postgres',
    // host= may name a Unix socket directory, as in libpq.
    host: q.get('host') ?? (decodeURIComponent(url.hostname.replace(/^\[|\]$/g, '')) || '127.0.0.1'),
    port,
    user: user || 'postgres',
    password: q.get('password') ?? decodeURIComponent(url.password),
    database,
    sslmode,
    sslrootcert,
    sslcert: q.get('sslcert') ?? undefined,
    sslkey: q.get('sslkey') ?? undefined,
    // 0 means "wait forever" in libpq; a bound is kept so a dead host is noticed.
    connectTimeoutMs: timeout === null || timeout === '0' ? 5000 : Number(timeout) * 1000,
    applicationName: q.get('application_name') ?? 'log-collector',
  };
}
