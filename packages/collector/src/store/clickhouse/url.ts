/**
 * `DATABASE_URL=clickhouse://user:password@host:8123/db` (HTTP interface; `clickhouses://` or
 * `?secure=true` for HTTPS, port 8443 by default). `?cluster=NAME` writes and reads through a
 * Distributed table over that cluster of the server's `remote_servers` (see ./ddl.ts).
 */

export interface ClickhouseConfig {
  kind: 'clickhouse';
  /** Base URL of the HTTP interface, e.g. http://127.0.0.1:8123. */
  url: string;
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** Distributed over this cluster (from remote_servers) when set. */
  cluster?: string;
}

const PARAMS = new Set(['secure', 'cluster']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Parses a clickhouse:// or clickhouses:// URL; throws Error with a message that names the problem. */
export function parseClickhouseUrl(url: URL): ClickhouseConfig {
  const q = url.searchParams;
  for (const k of q.keys()) {
    if (!PARAMS.has(k)) throw new Error(`DATABASE_URL: unsupported parameter "${k}" (supported: ${[...PARAMS].join(', ')})`);
  }
  const secureText = q.get('secure');
  if (secureText !== null && !['true', 'false', '1', '0'].includes(secureText)) throw new Error(`DATABASE_URL: secure must be true or false, got "${secureText}"`);
  const secure = url.protocol === 'clickhouses:' || secureText === 'true' || secureText === '1';
  const port = url.port ? Number(url.port) : secure ? 8443 : 8123;
  if (port < 1 || port > 65535) throw new Error(`DATABASE_URL port must be between 1 and 65535, got "${url.port}"`);
  const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || 'default';
  if (!NAME.test(database)) throw new Error(`DATABASE_URL: unsupported database name "${database}" (letters, digits and _)`);
  const cluster = q.get('cluster') ?? undefined;
  if (cluster !== undefined && !NAME.test(cluster)) throw new Error(`DATABASE_URL: unsupported cluster name "${cluster}" (letters, digits and _)`);
  const host = decodeURIComponent(url.hostname) || '127.0.0.1';
  return {
    kind: 'clickhouse',
    url: `${secure ? 'https' : 'http'}://${host}:${port}`,
    host: host.replace(/^\[|\]$/g, ''),
    port,
    user: decodeURIComponent(url.username) || 'default',
    password: decodeURIComponent(url.password),
    database,
    cluster,
  };
}
