import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import type { RoutePlugin } from '../context.js';
import { acceptedBody, JSON_TYPE } from './handler.js';
import { NDJSON_TYPES } from './parse.js';

/**
 * `POST /ingest` (and `POST /`, the seed's default collector_path). The answer is sent only
 * once the records are durable in the spool; the drainer moves them into the database. Plain
 * requests are served by IngestHandler.serveRaw before they reach Fastify; these routes answer
 * the rest (and `inject`) with the same work and the same answers.
 */
export const ingestRoutes: RoutePlugin = async (app, ctx) => {
  const { metrics, config } = ctx;
  const ingest = ctx.ingest;
  // Encapsulated in this plugin: the bodies reach the handler as raw bytes, and any other
  // content type is a 415 from Fastify.
  app.removeAllContentTypeParsers();
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, raw);
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, raw);

  app.addHook('onResponse', (_req, reply, done) => {
    metrics.countIngest(reply.statusCode);
    done();
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, 'send Content-Type application/json or application/x-ndjson');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const n = await ingest.accept(req.body, NDJSON_TYPES.includes(type));
    return reply.type(JSON_TYPE).send(acceptedBody(n));
  };

  const opts = { bodyLimit: config.bodyLimit, onRequest: ingest.checkHeaders };
  app.post('/ingest', opts, handler);
  app.post('/', opts, handler);
};
