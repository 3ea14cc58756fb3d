import { bearerAuth } from '../auth.js';
import type { RoutePlugin } from '../context.js';

/** `GET /metrics` in the Prometheus text format, guarded by METRICS_TOKEN when it is set. */
export const metricsRoutes: RoutePlugin = async (app, ctx) => {
  app.get('/metrics', { onRequest: bearerAuth(ctx.config.metricsToken, 'metrics') }, async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
};
