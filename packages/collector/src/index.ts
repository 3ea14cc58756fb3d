import type { FastifyInstance } from 'fastify';
import type { CollectorConfig } from './config.js';
import { buildApp, type BuildOptions } from './app.js';
import type { CollectorContext } from './context.js';

export { buildApp, type BuildOptions } from './app.js';
export { loadConfig, helpText, parseGoMysqlDsn, parseDatabaseUrl, ConfigError, OPTIONS, type CollectorConfig, type DatabaseConfig } from './config.js';
export { type CollectorContext, type RoutePlugin } from './context.js';
export { queryAuth, ingestAuth, bearerAuth } from './auth.js';
export { HttpError, BadRequestError } from './errors.js';
export { parseLogFilters, filtersToSql, parseTimeParam, type LogFilters, type BizType } from './query/filters.js';
export { queryLogs, rowToLog, SORTABLE } from './query/logs.js';
export { createStore, ClickhouseStore, MysqlStore, PostgresStore, SqliteStore, POSITIONS_TABLE, type LogStore, type CommitPosition, type SqlReader } from './store/index.js';
export { Spool, SpoolFullError, type SpoolPosition } from './spool/spool.js';

/** A listening collector. */
export interface RunningCollector {
  /** Base URL, e.g. `http://127.0.0.1:43121`. */
  url: string;
  port: number;
  /** Where ingest is served: `url` unless INGEST_PORT is set. */
  ingestUrl: string;
  ingestPort: number;
  app: FastifyInstance;
  context: CollectorContext;
  /** Stops accepting, drains the spool into the database (bounded), closes everything. */
  close(): Promise<void>;
}

/** True for addresses only this host can reach. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host) || host === '::ffff:127.0.0.1';
}

/**
 * Builds the app and listens on config.host:config.port (port 0 picks a free one), and on
 * config.ingestPort for ingest when it is set.
 */
export async function startCollector(config: CollectorConfig, opts: BuildOptions = {}): Promise<RunningCollector> {
  const app = await buildApp(config, opts);
  const ingestServer = app.ingestServer;
  try {
    await app.listen({ port: config.port, host: config.host });
    if (ingestServer) {
      await new Promise<void>((resolve, reject) => {
        ingestServer.once('error', reject);
        ingestServer.listen(config.ingestPort, config.host, () => {
          ingestServer.off('error', reject);
          resolve();
        });
      });
    }
  } catch (e) {
    await app.close();
    throw e;
  }
  const portOf = (a: ReturnType<typeof app.server.address>, fallback: number) => (typeof a === 'object' && a ? a.port : fallback);
  const port = portOf(app.server.address(), config.port);
  const ingestPort = ingestServer ? portOf(ingestServer.address(), config.ingestPort!) : port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const log = app.collector.log;
  if (!isLoopback(config.host) && !config.queryToken) {
    // Records carry captured headers and bodies: say so loudly when anyone who reaches the port can read them.
    log.warn({ host: config.host }, 'QUERY_TOKEN is not set and the collector listens beyond loopback: anyone who reaches this port can read every record through /query, /stats and the dashboard');
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    ingestUrl: `http://${host}:${ingestPort}`,
    ingestPort,
    app,
    context: app.collector,
    close: () => (closing ??= app.close()),
  };
}
