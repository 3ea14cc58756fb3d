import type { RoutePlugin } from '../context.js';

/** Short enough to answer within the kubelet's default 1 s probe timeout. */
const PING_TIMEOUT_MS = 500;

/**
 * `GET /health` (liveness, as the seed's probes expect) and `GET /ready`. Ready means "can accept
 * records durably": the spool has room. The database's state is reported in the body (and in
 * `log_collector_database_up`) but never makes the pod unready: while the database is away the
 * spool holds the records, and a 503 here would take the pod out of the Service, so gateways
 * would drop them instead.
 */
export const healthRoutes: RoutePlugin = async (app, ctx) => {
  app.get('/health', async (_req, reply) => reply.type('text/plain').send('ok'));

  app.get('/ready', async (_req, reply) => {
    let database = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        ctx.store.ping(),
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS))),
      ]);
    } catch {
      database = false;
    } finally {
      clearTimeout(timer);
    }
    const spoolFull = ctx.spool.isFull();
    return reply
      .code(spoolFull ? 503 : 200)
      .header('cache-control', 'no-store')
      .send({ status: spoolFull ? 'not ready' : 'ready', database, spool_full: spoolFull, spool_bytes: ctx.spool.pendingBytes });
  });
};
