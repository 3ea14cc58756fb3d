import type { FastifyInstance } from 'fastify';
import type { CollectorContext } from '../context.js';
import { healthRoutes } from './health.js';
import { ingestRoutes } from './ingest.js';
import { metricsRoutes } from './metrics.js';
import { queryRoutes } from './query.js';

/** Registers every route group; each lives in its own file under `src/routes/`. */
export async function registerRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  await app.register(healthRoutes, ctx);
  await app.register(ingestRoutes, ctx);
  await app.register(queryRoutes, ctx);
  await app.register(metricsRoutes, ctx);
}
