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
  app: FastifyInstance;
  context: CollectorContext;
  /** Stops accepting, drains the spool into the database (bounded), closes everything. */
  close(): Promise<void>;
}

/** Builds the app and listens on config.host:config.port (port 0 picks a free one). */
export async function startCollector(config: CollectorConfig, opts: BuildOptions = {}): Promise<RunningCollector> {
  const app = await buildApp(config, opts);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app.close();
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    app,
    context: app.collector,
    close: () => (closing ??= app.close()),
  };
}
