import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import { describeDatabase, type CollectorConfig } from './config.js';
import { ingestAuth, queryAuth } from './auth.js';
import type { CollectorContext } from './context.js';
import { Drainer, drainerOptions } from './drainer/index.js';
import { errorHandler } from './http/answers.js';
import { createMetrics } from './metrics.js';
import { UsageMetrics } from './cost/usage-metrics.js';
import { registerRoutes } from './routes/index.js';
import { createIngestHandler } from './ingest/handler.js';
import { Spool } from './spool/spool.js';
import { createStore } from './store/index.js';
import { Retention } from './retention/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The collector's parts (store, spool, drainer, metrics, auth guards). */
    collector: CollectorContext;
    /** The INGEST_PORT listener (not yet listening), or null when ingest is served on PORT. */
    ingestServer: Server | null;
  }
}

/** How long a request may take to arrive, and its headers within that. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Keep-alive connections from gateways are long-lived; let idle ones go eventually. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

function notHere(res: ServerResponse, what: string): void {
  const body = JSON.stringify({ status: 'error', error: what });
  res.writeHead(404, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Ingest requests: `POST /ingest` and `POST /` (the seed's default collector_path). */
function isIngest(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  return path === '/ingest' || (path === '/' && req.method === 'POST');
}

/** What the INGEST_PORT listener serves besides ingest: the probes. */
function isProbe(req: IncomingMessage): boolean {
  const path = (req.url ?? '').split('?')[0];
  return path === '/health' || path === '/ready';
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
  const metrics = createMetrics(() => ({ pendingRecords: spool.pendingRecords, spoolBytes: spool.pendingBytes, databaseUp: drainer.dbReady }));
  const drainer = new Drainer(spool, store, drainerOptions(config), metrics, log);
  const retention = new Retention(store, { days: config.retentionDays, ...opts.retention }, metrics.registry, log);
  const usageMetrics = new UsageMetrics(metrics.registry, config.metricsLabelLimit, config.prices.currency);
  const ingest = createIngestHandler({ config, spool, drainer, metrics, usageMetrics, log });
  const ctx: CollectorContext = {
    config,
    store,
    spool,
    drainer,
    metrics,
    usageMetrics,
    log,
    queryAuth: queryAuth(config.queryToken),
    ingestAuth: ingestAuth(config.ingestToken),
    ingest,
  };
  // Header, body and idle bounds, so slow or stalled clients cannot hold sockets and memory:
  // a request must arrive whole within REQUEST_TIMEOUT_MS (its headers within 10 s of it), else
  // Node answers 408 and closes the connection; the bounds are checked every second.
  const timeouts = {
    requestTimeout: config.requestTimeoutMs,
    headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    connectionsCheckingInterval: 1000,
  };
  const separate = config.ingestPort !== undefined;
  let ingestServer: Server | null = null;

  const app: FastifyInstance = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    // Per-request logs would dominate the hot path; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.bodyLimit,
    requestTimeout: config.requestTimeoutMs,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    forceCloseConnections: 'idle',
    // One object per request is the gateways' way of posting: plain ingest requests are served
    // straight from node:http (same checks, same answers, see IngestHandler.serveRaw), so the
    // framework's per-request work (routing, request/reply objects, child logger, hooks) is
    // spent only on everything else. With INGEST_PORT, ingest (and the probes) are served on a
    // second server and nowhere else, so a NetworkPolicy can admit only gateways to it.
    serverFactory: (handler) => {
      const server = createServer(timeouts, (req, res) => {
        if (separate && isIngest(req)) return notHere(res, `ingest is served on INGEST_PORT (${config.ingestPort}), not here`);
        if (separate || !ingest.serveRaw(req, res)) handler(req, res);
      });
      if (separate) {
        ingestServer = createServer(timeouts, (req, res) => {
          if (isIngest(req)) {
            if (!ingest.serveRaw(req, res)) handler(req, res);
          } else if (isProbe(req)) handler(req, res);
          else notHere(res, 'this port serves POST /ingest, /health and /ready only');
        });
      }
      return server;
    },
  });
  app.decorate('ingestServer', ingestServer);
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
  app.addHook('preClose', async () => {
    ingest.closing = true;
    const server = app.ingestServer;
    if (server?.listening) {
      const closed = new Promise((r) => server.close(r));
      server.closeIdleConnections();
      await closed;
    }
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
