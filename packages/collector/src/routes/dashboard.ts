import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEFAULT_DASHBOARD_DIR, type CollectorConfig } from '../config.js';
import type { RoutePlugin } from '../context.js';
import { noRoute } from './no-route.js';

/**
 * Where the built dashboard is: the DASHBOARD_DIR setting (`--dashboard-dir`), else
 * `packages/dashboard/dist` of this installation.
 */
export function dashboardDir(config?: Pick<CollectorConfig, 'dashboardDir'>): string {
  return config?.dashboardDir ?? DEFAULT_DASHBOARD_DIR;
}

/**
 * The page may load only its own scripts, styles and data, and no other site may frame it
 * (clickjacking); inline style attributes stay allowed for the charts' sizing.
 */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

function securityHeaders(_req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
  done();
}

/**
 * Serves the dashboard's static files at `/`. The files are public; the data they load comes
 * from `/stats` and `/query`, which QUERY_TOKEN guards. Routes for the built files are fixed at
 * start (`wildcard: false`), and the catch-all `GET /*` that find-my-way matches last only answers
 * page navigations with index.html (the SPA fallback), so no API route is ever shadowed.
 */
export const dashboardRoutes: RoutePlugin = async (app, ctx) => {
  app.addHook('onRequest', securityHeaders);
  const root = dashboardDir(ctx.config);
  if (!existsSync(`${root}/index.html`)) {
    ctx.log.warn({ dir: root }, 'dashboard not built; run `npm run build` to serve it at /');
    app.get('/', async (_req, reply) =>
      reply.type('text/plain; charset=utf-8').send('log-collector is running. The dashboard is not built: run `npm run build`.\nAPI: /query, /stats, /health, /ready, /metrics\n'),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    setHeaders(res, path) {
      // Built assets carry a content hash in their names; the index must always be revalidated.
      res.setHeader('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  const unrouted = noRoute(app);
  app.get('/*', async (req, reply) => {
    const accept = String(req.headers.accept ?? '');
    const last = req.url.split('?')[0].split('/').pop() ?? '';
    if (accept.includes('text/html') && !last.includes('.')) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return unrouted(req, reply);
  });
};
