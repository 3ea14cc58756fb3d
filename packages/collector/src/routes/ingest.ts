import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { bearerCheck } from '../auth.js';
import { HttpError, httpErrorBody } from '../errors.js';
import { checkIngestHeaders } from '../ingest/headers.js';
import { NDJSON_TYPES, parseIngestBody } from '../ingest/parse.js';
import { SpoolFullError } from '../spool/spool.js';
import { priceRow } from '../cost/row.js';
import type { CollectorContext, RoutePlugin } from '../context.js';

const RETRY_AFTER_S = '5';
const JSON_TYPE = 'application/json; charset=utf-8';

/** `{"status":"success","accepted":N}`, kept as text for the usual small counts. */
const ACCEPTED = Array.from({ length: 64 }, (_, n) => JSON.stringify({ status: 'success', accepted: n }));
const acceptedBody = (n: number) => (n < ACCEPTED.length ? ACCEPTED[n] : JSON.stringify({ status: 'success', accepted: n }));

/**
 * The ingest work shared by the Fastify route and the direct HTTP path: parse, validate and
 * normalise the body, append it to the spool, and resolve with the number of records once they
 * are durable. Throws an HttpError for anything the client must be told.
 */
export interface IngestHandler {
  accept(body: Buffer, ndjson: boolean): Promise<number>;
  /**
   * The header checks (token, media type, charset, encoding) as a Fastify onRequest hook: they
   * run before the body is read, as on the direct path.
   */
  checkHeaders(req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void): void;
  /**
   * Serves a plain `POST /ingest` (or `POST /`) straight from node:http, without the framework's
   * per-request work; returns false, untouched, for anything else, which Fastify then handles.
   */
  serveRaw(req: IncomingMessage, res: ServerResponse): boolean;
  /** Stop taking requests on the direct path (the server is closing). */
  closing: boolean;
}

/** Content-Type values the direct path takes as they are; any other form goes through Fastify. */
const RAW_TYPES = new Map<string, boolean>([
  ['application/json', false],
  ['application/json; charset=utf-8', false],
  ['application/json;charset=utf-8', false],
  ...NDJSON_TYPES.map((t) => [t, true] as [string, boolean]),
]);

export function createIngestHandler(ctx: CollectorContext): IngestHandler {
  const { metrics, spool, config, log } = ctx;
  const auth = bearerCheck(config.ingestToken, 'ingest');

  async function accept(body: Buffer, ndjson: boolean): Promise<number> {
    // Invalid UTF-8 becomes U+FFFD when the body is decoded; a batch is never refused for it.
    if (!isUtf8(body)) metrics.invalidUtf8.inc();
    let rows;
    try {
      rows = parseIngestBody(body, ndjson, config.maxRecordsPerRequest);
      // Priced at ingest and stored, so a later price change does not rewrite history.
      for (const r of rows) priceRow(r, config.prices);
    } catch (e) {
      metrics.recordsRejected.inc();
      throw e;
    }
    try {
      await spool.append(rows);
    } catch (e) {
      metrics.recordsRejected.inc(rows.length);
      if (e instanceof SpoolFullError) {
        ctx.drainer.poke();
        throw new HttpError(503, 'the collector is holding as much as it may (spool full); retry later', { 'retry-after': RETRY_AFTER_S });
      }
      log.error({ err: e }, 'spool append failed');
      throw new HttpError(503, 'could not store the records durably; retry later', { 'retry-after': RETRY_AFTER_S });
    }
    metrics.recordsAccepted.inc(rows.length);
    ctx.usageMetrics.observe(rows);
    return rows.length;
  }

  function answer(res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void {
    if (res.destroyed) return;
    // A flat [name, value, ...] list: headers and body leave in one socket write.
    const h: string[] = ['content-type', JSON_TYPE, 'content-length', String(Buffer.byteLength(body))];
    if (headers) for (const k in headers) h.push(k, headers[k]);
    res.writeHead(status, h);
    res.end(body);
    metrics.countIngest(status);
  }

  function fail(res: ServerResponse, e: unknown): void {
    if (e instanceof HttpError) return answer(res, e.statusCode, JSON.stringify(httpErrorBody(e)), e.headers);
    log.error({ err: e }, 'request failed');
    answer(res, 500, JSON.stringify({ status: 'error', error: 'internal error' }));
  }

  const handler: IngestHandler = {
    accept,
    closing: false,
    checkHeaders(req, reply, done) {
      const verdict = checkIngestHeaders(req.headers, auth);
      if (!verdict.error) return done();
      // The body stays unread: close the connection rather than read it to keep it alive.
      reply.header('connection', 'close');
      done(verdict.error);
    },
    serveRaw(req, res) {
      if (handler.closing || req.method !== 'POST' || (req.url !== '/ingest' && req.url !== '/')) return false;
      const h = req.headers;
      // Answered from the headers alone, before any of the body is read (and then the
      // connection is closed, as the body was not read).
      const verdict = checkIngestHeaders(h, auth);
      if (verdict.error) {
        res.shouldKeepAlive = false;
        fail(res, verdict.error);
        return true;
      }
      const ndjson = RAW_TYPES.get(h['content-type'] ?? '');
      const length = Number(h['content-length']);
      // Bodies without a plain Content-Length (chunked, empty), over the limit, with an
      // identity Content-Encoding or waiting for 100-continue keep the framework's handling and
      // answers.
      if (ndjson === undefined || !(length > 0) || length > config.bodyLimit || h['transfer-encoding'] !== undefined || h['content-encoding'] !== undefined || h.expect !== undefined) return false;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('error', () => undefined); // the socket is gone; nothing to answer
      req.on('end', () => {
        // The HTTP parser delivers exactly Content-Length bytes before 'end'.
        const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
        accept(body, ndjson).then(
          (n) => answer(res, 200, acceptedBody(n)),
          (e) => fail(res, e),
        );
      });
      return true;
    },
  };
  return handler;
}

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
