import type { RoutePlugin } from '../context.js';

const PING_TIMEOUT_MS = 2000;

/** `GET /health` (liveness, as the seed's probes expect) and `GET /ready` (database reachable, spool not full). */
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
    const ready = database && !spoolFull;
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', database, spool_full: spoolFull, spool_bytes: ctx.spool.pendingBytes });
  });
};
