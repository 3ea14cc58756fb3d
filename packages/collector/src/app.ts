import { createServer } from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { describeDatabase, type CollectorConfig } from './config.js';
import { ingestAuth, queryAuth } from './auth.js';
import type { CollectorContext } from './context.js';
import { Drainer } from './drainer.js';
import { errorHandler } from './errors.js';
import { createMetrics } from './metrics.js';
import { registerRoutes } from './routes/index.js';
import { createIngestHandler } from './routes/ingest.js';
import { Spool } from './spool/spool.js';
import { createStore } from './store/index.js';
import { Retention } from './retention/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The collector's parts (store, spool, drainer, metrics, auth guards). */
    collector: CollectorContext;
  }
}

export interface BuildOptions {
  /** A logger to use instead of a new pino logger at LOG_LEVEL. */
  logger?: Logger;
  /** Spool segment size in bytes (tests use small segments to exercise rotation). */
  spoolSegmentBytes?: number;
  /** RETENTION_DAYS pass interval and batch size (tests use short ones). */
  retention?: { intervalMs?: number; batchRows?: number };
}

/**
 * Builds the collector's Fastify app without listening: opens the spool under DATA_DIR, the
 * store, the drainer and the routes. Closing the app (`app.close()`) stops taking requests,
 * drains the spool into the database for at most SHUTDOWN_TIMEOUT_MS, and closes everything.
 */
export async function buildApp(config: CollectorConfig, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const log = opts.logger ?? pino({ level: config.logLevel, base: { service: 'log-collector' } });
  const spool = Spool.open(join(config.dataDir, 'spool'), { maxBytes: config.spoolMaxBytes, segmentBytes: opts.spoolSegmentBytes, log });
  const store = createStore(config.database, log, config.retentionDays);
  const metrics = createMetrics(() => ({ pendingRecords: spool.pendingRecords, spoolBytes: spool.pendingBytes }));
  const drainer = new Drainer(spool, store, { flushSize: config.flushSize, flushIntervalMs: config.flushIntervalMs, maxBatchRows: config.maxBatchRows, rejectedFile: join(config.dataDir, 'rejected.ndjson') }, metrics, log);
  const retention = new Retention(store, { days: config.retentionDays, ...opts.retention }, metrics.registry, log);
  const ctx = {
    config,
    store,
    spool,
    drainer,
    metrics,
    log,
    queryAuth: queryAuth(config.queryToken),
    ingestAuth: ingestAuth(config.ingestToken),
  } as CollectorContext;
  ctx.ingest = createIngestHandler(ctx);
  const ingest = ctx.ingest;
  const keepAliveTimeout = 65_000;

  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request logs would dominate the hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    // Keep-alive connections from gateways are long-lived; let idle ones go eventually.
    keepAliveTimeout,
    forceCloseConnections: 'idle',
    // One object per request is the gateways' way of posting: plain ingest requests are served
    // straight from node:http (same checks, same answers, see IngestHandler.serveRaw), so the
    // framework's per-request work (routing, request/reply objects, child logger, hooks) is
    // spent only on everything else.
    serverFactory: (handler, opts) => {
      const server = createServer((req, res) => {
        if (!ingest.serveRaw(req, res)) handler(req, res);
      });
      server.keepAliveTimeout = keepAliveTimeout;
      // What Fastify sets on the servers it creates itself.
      if (typeof opts.requestTimeout === 'number') server.requestTimeout = opts.requestTimeout;
      if (typeof opts.connectionTimeout === 'number') server.setTimeout(opts.connectionTimeout);
      return server;
    },
  });
  app.decorate('collector', ctx);
  app.setErrorHandler(errorHandler);

  try {
    await store.init();
  } catch (e) {
    log.warn({ err: (e as Error).message, db: store.description }, 'database not reachable at start; accepting into the spool and retrying');
  }
  await registerRoutes(app, ctx);

  app.addHook('onReady', async () => {
    drainer.start();
    retention.start();
    log.info({ db: describeDatabase(config.database), spool: spool.id, dataDir: config.dataDir }, 'collector ready');
  });
  app.addHook('preClose', (done) => {
    ingest.closing = true;
    done();
  });
  app.addHook('onClose', async () => {
    await retention.stop();
    await drainer.stop(config.shutdownTimeoutMs);
    const left = spool.pendingBytes;
    if (left > 0) log.warn({ spoolBytes: left }, 'stopping with records still in the spool; they are written on the next start');
    await spool.close();
    await store.close();
  });
  return app;
}
