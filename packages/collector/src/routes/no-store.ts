import type { FastifyReply, FastifyRequest } from 'fastify';

/** An onRequest hook for every route that returns records: no cache (browser or proxy) keeps a copy. */
export function noStore(_req: FastifyRequest, reply: FastifyReply, done: () => void): void {
  reply.header('cache-control', 'no-store');
  done();
}
