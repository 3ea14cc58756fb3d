import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

/**
 * Answers a request no route takes, in the collector's error format: 405 with `Allow` when the
 * path exists for other methods, else 404. Used as the not-found handler and by the dashboard's
 * catch-all, so `GET /ingest` and `POST /query` say what is wrong.
 */
export function noRoute(app: FastifyInstance): (req: FastifyRequest, reply: FastifyReply) => FastifyReply {
  return (req, reply) => {
    const path = req.url.split('?')[0];
    const allow = METHODS.filter((method) => method !== req.method && app.hasRoute({ method, url: path }));
    if (allow.length > 0) {
      return reply
        .code(405)
        .header('allow', allow.join(', '))
        .send({ status: 'error', error: `method ${req.method} is not allowed on ${path}; use ${allow.filter((m) => m !== 'HEAD').join(' or ')}` });
    }
    return reply.code(404).send({ status: 'error', error: `no route ${req.method} ${path}` });
  };
}
