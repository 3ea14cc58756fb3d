// Shared by the durability tests: a collector behind the TCP proxy of tcp-proxy.ts, a load
// generator that remembers every acknowledged record, and the same questions asked of MariaDB,
// PostgreSQL and ClickHouse (how many times is each record stored?).
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, type RunningCollector } from '../src/index.js';
import { createTestDatabase, mysqlUrlOrSkip, post, removeDir, smallRecord, tempDir, testConfig } from './helpers.js';
import { createPgTestDatabase, postgresUrlOrSkip } from './postgres-helpers.js';
import { chTestDatabase, clickhouseOrSkip, sharedClickhouse } from './clickhouse-helpers.js';
import { startProxy, type Proxy } from './tcp-proxy.js';

export { startProxy, type Proxy } from './tcp-proxy.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/**
 * Sends records until `stop()` from `workers` concurrent loops, alternating single objects and
 * NDJSON batches; remembers the request_ids of every acknowledged (2xx) request. `urlOf(w)`
 * gives the collector worker `w` sends to.
 */
export function loadGenerator(urlOf: (worker: number) => string, prefix: string, workers = 4) {
  const acked = new Set<string>();
  let running = true;
  let seq = 0;
  let errors = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const n = seq++ % 3 === 0 ? 5 : 1;
      const ids = Array.from({ length: n }, (_, k) => `${prefix}-${w}-${seq}-${k}`);
      const body = n === 1 ? JSON.stringify(smallRecord(ids[0])) : ids.map((id) => JSON.stringify(smallRecord(id))).join('\n');
      try {
        const r = await post(`${urlOf(w)}/ingest`, body, n === 1 ? 'application/json' : 'application/x-ndjson');
        if (r.status === 200) for (const id of ids) acked.add(id);
      } catch {
        errors++; // the collector was killed mid-request: not acknowledged
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  });
  return {
    acked,
    errors: () => errors,
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** The value of log_collector_pending_records. */
export async function pendingRecords(base: string): Promise<number> {
  const m = /^log_collector_pending_records (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text());
  assert.ok(m, 'the pending-records gauge is exported');
  return Number(m[1]);
}

/** A test database on one of the servers, asked the same questions whatever the server. */
export interface LogDb {
  /** The collector's environment for this database, reached at host:port (a proxy, say). */
  env(host?: string, port?: number): Record<string, string>;
  host: string;
  port: number;
  /** Rows stored per request_id starting with `prefix` (a missing table counts as none). */
  storedPerId(prefix: string): Promise<Map<string, number>>;
  /** Rows whose request_id starts with `prefix`. */
  countPrefix(prefix: string): Promise<number>;
  /** Rows with this request_id. */
  count(requestId: string): Promise<number>;
  /** Spool ids with a committed position. */
  positions(): Promise<string[]>;
  drop(): Promise<void>;
}

export interface Backend {
  name: 'MariaDB' | 'PostgreSQL' | 'ClickHouse';
  /** The statement that makes a batch durable, whose lost answer the proxy can simulate. */
  commit?: RegExp;
  urlOrSkip(t: TestContext): string | undefined;
  create(url: string): Promise<LogDb>;
}

export const MARIADB: Backend = {
  name: 'MariaDB',
  urlOrSkip: mysqlUrlOrSkip,
  async create(url) {
    const db = await createTestDatabase(url);
    const cred = `${db.user}${db.password ? ':' + db.password : ''}`;
    return {
      host: db.host,
      port: db.port,
      env: (host = db.host, port = db.port) => ({ MYSQL_DSN: `${cred}@tcp(${host}:${port})/${db.name}?timeout=2s` }),
      async storedPerId(prefix) {
        const rows = await db.rows<{ request_id: string; n: number }>('SELECT request_id, COUNT(*) AS n FROM access_logs WHERE request_id LIKE ? GROUP BY request_id', [`${prefix}%`]).catch(() => []);
        return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
      },
      async countPrefix(prefix) {
        return Number((await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM access_logs WHERE request_id LIKE ?', [`${prefix}%`]))[0].n);
      },
      async count(id) {
        return Number((await db.rows<{ n: number }>('SELECT COUNT(*) AS n FROM access_logs WHERE request_id = ?', [id]))[0].n);
      },
      async positions() {
        return (await db.rows<{ spool_id: string }>('SELECT spool_id FROM access_logs_spool_positions ORDER BY spool_id')).map((r) => r.spool_id);
      },
      drop: () => db.drop(),
    };
  },
};

export const POSTGRES: Backend = {
  name: 'PostgreSQL',
  urlOrSkip: postgresUrlOrSkip,
  async create(url) {
    const db = await createPgTestDatabase(url);
    return {
      host: db.host,
      port: db.port,
      env: (host = db.host, port = db.port) => ({ DATABASE_URL: db.urlVia(host, port, 'sslmode=disable&connect_timeout=2') }),
      async storedPerId(prefix) {
        const rows = await db.rows<{ request_id: string; n: number }>('SELECT request_id, COUNT(*)::int AS n FROM access_logs WHERE request_id LIKE $1 GROUP BY request_id', [`${prefix}%`]).catch(() => []);
        return new Map(rows.map((r) => [r.request_id, r.n]));
      },
      async countPrefix(prefix) {
        return (await db.rows<{ n: number }>('SELECT COUNT(*)::int AS n FROM access_logs WHERE request_id LIKE $1', [`${prefix}%`]))[0].n;
      },
      async count(id) {
        return (await db.rows<{ n: number }>('SELECT COUNT(*)::int AS n FROM access_logs WHERE request_id = $1', [id]))[0].n;
      },
      async positions() {
        return (await db.rows<{ spool_id: string }>('SELECT spool_id FROM access_logs_spool_positions ORDER BY spool_id')).map((r) => r.spool_id);
      },
      drop: () => db.drop(),
    };
  },
};

/**
 * ClickHouse on a private server of this test process. Counts go through FINAL, as /query reads:
 * a row stored twice by a replay must be visible once. Its "commit" is the INSERT of the rows
 * (over HTTP, the statement in the URL): losing its answer makes the collector write them again.
 */
export const CLICKHOUSE: Backend = {
  name: 'ClickHouse',
  commit: /INSERT(%20|\+| )INTO(%20|\+| )access_logs(%20|\+| )/,
  urlOrSkip: (t) => (clickhouseOrSkip(t) ? 'private' : undefined),
  async create() {
    const db = chTestDatabase(await sharedClickhouse());
    const t = `${db.name}.access_logs FINAL`;
    const like = (prefix: string) => `startsWith(request_id, '${prefix.replace(/[\\']/g, '')}')`;
    return {
      host: '127.0.0.1',
      port: db.server.httpPort,
      env: (host = '127.0.0.1', port = db.server.httpPort) => ({ DATABASE_URL: db.urlVia(host, port) }),
      async storedPerId(prefix) {
        const rows = await db.rows<{ request_id: string; n: number }>(`SELECT request_id, count() AS n FROM ${t} WHERE ${like(prefix)} GROUP BY request_id`).catch(() => []);
        return new Map(rows.map((r) => [r.request_id, Number(r.n)]));
      },
      async countPrefix(prefix) {
        return Number((await db.rows<{ n: number }>(`SELECT count() AS n FROM ${t} WHERE ${like(prefix)}`).catch(() => [{ n: 0 }]))[0].n);
      },
      async count(id) {
        return Number((await db.rows<{ n: number }>(`SELECT count() AS n FROM ${t} WHERE request_id = '${id.replace(/[\\']/g, '')}'`).catch(() => [{ n: 0 }]))[0].n);
      },
      async positions() {
        return (await db.rows<{ spool_id: string }>(`SELECT DISTINCT spool_id FROM ${db.name}.access_logs_spool_positions ORDER BY spool_id`)).map((r) => r.spool_id);
      },
      drop: () => db.drop(),
    };
  },
};

export const BACKENDS: readonly Backend[] = [MARIADB, POSTGRES, CLICKHOUSE];

/**
 * Runs `body` against a collector whose database connection goes through a proxy the test
 * controls (skipped without the backend's test URL), then tears everything down.
 */
export async function withProxiedCollector(
  t: TestContext,
  backend: Backend,
  env: Record<string, string>,
  body: (s: { c: RunningCollector; db: LogDb; proxy: Proxy }) => Promise<void>,
) {
  const url = backend.urlOrSkip(t);
  if (!url) return;
  const db = await backend.create(url);
  const proxy = await startProxy(db.host, db.port, backend.commit);
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { ...db.env('127.0.0.1', proxy.port), ...env }));
  try {
    await body({ c, db, proxy });
  } finally {
    await c.close();
    await proxy.close();
    await db.drop();
    removeDir(dir);
  }
}
