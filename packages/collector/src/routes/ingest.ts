import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpError } from '../errors.js';
import { NDJSON_TYPES, parseIngestBody } from '../ingest/parse.js';
import { SpoolFullError } from '../spool/spool.js';
import type { RoutePlugin } from '../context.js';

const RETRY_AFTER_S = '5';

/**
 * `POST /ingest` (and `POST /`, the seed's default collector_path). The answer is sent only
 * once the records are durable in the spool; the drainer moves them into the database.
 */
export const ingestRoutes: RoutePlugin = async (app, ctx) => {
  const { metrics, spool, config } = ctx;
  // Encapsulated in this plugin: the bodies reach the handler as raw bytes, and any other
  // content type is a 415 from Fastify.
  app.removeAllContentTypeParsers();
  const raw = (_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: Buffer) => void) => done(null, body);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, raw);
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, raw);

  app.addHook('onResponse', (_req, reply, done) => {
    metrics.ingestRequests.labels(String(reply.statusCode)).inc();
    done();
  });

  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, 'send Content-Type application/json or application/x-ndjson');
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    let rows;
    try {
      rows = parseIngestBody(req.body, NDJSON_TYPES.includes(type), config.maxRecordsPerRequest);
    } catch (e) {
      metrics.recordsRejected.inc();
      throw e;
    }
    try {
      await spool.append(rows);
    } catch (e) {
      metrics.recordsRejected.inc(rows.length);
      if (e instanceof SpoolFullError) {
        drainerNudge();
        throw new HttpError(503, 'the collector is holding as much as it may (spool full); retry later', { 'retry-after': RETRY_AFTER_S });
      }
      req.log.error({ err: e }, 'spool append failed');
      throw new HttpError(503, 'could not store the records durably; retry later', { 'retry-after': RETRY_AFTER_S });
    }
    metrics.recordsAccepted.inc(rows.length);
    return reply.send({ status: 'success', accepted: rows.length });
  };
  const drainerNudge = () => ctx.drainer.poke();

  const opts = { bodyLimit: config.bodyLimit, preHandler: ctx.ingestAuth };
  app.post('/ingest', opts, handler);
  app.post('/', opts, handler);
};
