import type { FastifyInstance } from 'fastify';
import type { CollectorContext } from '../context.js';
import { healthRoutes } from './health.js';
import { ingestRoutes } from '../ingest/routes.js';
import { metricsRoutes } from './metrics.js';
import { queryRoutes } from './query.js';
import { statsRoutes } from './stats.js';
import { dashboardRoutes } from './dashboard.js';
import { noRoute } from './no-route.js';

/** Registers every route group; each lives in its own file under `src/routes/` (ingest, the
 * pipeline's source, under `src/ingest/`). */
export async function registerRoutes(app: FastifyInstance, ctx: CollectorContext): Promise<void> {
  await app.register(healthRoutes, ctx);
  await app.register(ingestRoutes, ctx);
  await app.register(queryRoutes, ctx);
  await app.register(metricsRoutes, ctx);
  await app.register(statsRoutes, ctx);
  // Last: its catch-all GET /* is matched after every specific route anyway.
  await app.register(dashboardRoutes, ctx);
  app.setNotFoundHandler(noRoute(app));
}
