// PostgreSQL test helpers: TEST_POSTGRES_URL (skipped with a reason when unset, failing in CI) and
// a uniquely named database per test, dropped afterwards.
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import pg from 'pg';

/**
 * TEST_POSTGRES_URL, or a skip with the reason. In CI (CI set) a missing URL fails the test,
 * so the PostgreSQL tests can never be skipped there silently.
 */
export function postgresUrlOrSkip(t: Pick<TestContext, 'skip'>): string | undefined {
  const url = process.env.TEST_POSTGRES_URL;
  if (url) return url;
  if (process.env.CI) throw new Error('TEST_POSTGRES_URL is not set in CI; the PostgreSQL tests must run');
  t.skip('TEST_POSTGRES_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test): PostgreSQL tests skipped');
  return undefined;
}

export interface PgTestDatabase {
  name: string;
  host: string;
  port: number;
  /** DATABASE_URL of the test database (sslmode=disable: the test server has no TLS). */
  url: string;
  /** The same database through another host:port (a proxy), same credentials. */
  urlVia(host: string, port: number, params?: string): string;
  client: pg.Client;
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** Creates a uniquely named database on the server of `baseUrl` and connects to it. */
export async function createPgTestDatabase(baseUrl: string): Promise<PgTestDatabase> {
  const u = new URL(baseUrl);
  const name = `dblog_collector_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  // A connection the server ends between queries emits 'error'; the next query reports it instead.
  admin.on('error', () => undefined);
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const cred = u.username ? `${u.username}${u.password ? ':' + u.password : ''}@` : '';
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 5432);
  const urlVia = (h: string, p: number, params = 'sslmode=disable') => `postgres://${cred}${h}:${p}/${name}${params ? '?' + params : ''}`;
  const client = new pg.Client({ connectionString: urlVia(host, port) });
  client.on('error', () => undefined);
  await client.connect();
  return {
    name,
    host,
    port,
    url: urlVia(host, port),
    urlVia,
    client,
    async rows<T>(sql: string, params: unknown[] = []) {
      return (await client.query(sql, params)).rows as T[];
    },
    async drop() {
      await client.end().catch(() => undefined);
      const a = new pg.Client({ connectionString: baseUrl });
      a.on('error', () => undefined);
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      await a.end();
    },
  };
}
