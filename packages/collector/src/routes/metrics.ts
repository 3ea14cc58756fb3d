import type { RoutePlugin } from '../context.js';

/** `GET /metrics` in the Prometheus text format. */
export const metricsRoutes: RoutePlugin = async (app, ctx) => {
  app.get('/metrics', async (_req, reply) => {
    const body = await ctx.metrics.registry.metrics();
    return reply.type(ctx.metrics.registry.contentType).send(body);
  });
};
