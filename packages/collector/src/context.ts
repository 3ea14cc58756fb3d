import type { FastifyInstance, preHandlerHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { CollectorConfig } from './config.js';
import type { Drainer } from './drainer/index.js';
import type { IngestHandler } from './ingest/handler.js';
import type { CollectorMetrics } from './metrics.js';
import type { Spool } from './spool/spool.js';
import type { LogStore } from './store/types.js';
import type { UsageMetrics } from './cost/usage-metrics.js';

/** What every route plugin gets as its options: the collector's parts and the auth guards. */
export interface CollectorContext {
  config: CollectorConfig;
  store: LogStore;
  spool: Spool;
  drainer: Drainer;
  metrics: CollectorMetrics;
  /** Tokens and cost by model and consumer, for /metrics. */
  usageMetrics: UsageMetrics;
  log: Logger;
  /** preHandler enforcing QUERY_TOKEN; use it on every route that reads logs. */
  queryAuth: preHandlerHookHandler;
  /** preHandler enforcing INGEST_TOKEN. */
  ingestAuth: preHandlerHookHandler;
  /** The ingest work, shared by the `/ingest` routes and the server's direct ingest path. */
  ingest: IngestHandler;
}

/** A route group: a Fastify plugin that takes the collector context as its options. */
export type RoutePlugin = (app: FastifyInstance, ctx: CollectorContext) => Promise<void>;
