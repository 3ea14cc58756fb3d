import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { bearerCheck } from '../auth.js';
import type { CollectorConfig } from '../config.js';
import { priceRow } from '../cost/row.js';
import type { UsageMetrics } from '../cost/usage-metrics.js';
import type { Drainer } from '../drainer/index.js';
import { SpoolWriteError } from '../errors.js';
import { answerFor } from '../http/answers.js';
import type { CollectorMetrics } from '../metrics.js';
import { SpoolFullError, type Spool } from '../spool/spool.js';
import { checkIngestHeaders } from './headers.js';
import { NDJSON_TYPES, parseIngestBody } from './parse.js';

export const JSON_TYPE = 'application/json; charset=utf-8';

/** `{"status":"success","accepted":N}`, kept as text for the usual small counts. */
const ACCEPTED = Array.from({ length: 64 }, (_, n) => JSON.stringify({ status: 'success', accepted: n }));
export const acceptedBody = (n: number) => (n < ACCEPTED.length ? ACCEPTED[n] : JSON.stringify({ status: 'success', accepted: n }));

/**
 * The ingest work shared by the Fastify route and the direct HTTP path: parse, validate and
 * normalise the body, append it to the spool, and resolve with the number of records once they
 * are durable. Throws an error src/http/answers.ts answers for anything the client must be told.
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

/** The collector parts ingest works with (the source side of spool → drainer → store). */
export interface IngestParts {
  config: CollectorConfig;
  spool: Spool;
  drainer: Pick<Drainer, 'poke'>;
  metrics: CollectorMetrics;
  /** Tokens and cost by model and consumer, counted once records are accepted. */
  usageMetrics: Pick<UsageMetrics, 'observe'>;
  log: Logger;
}

export function createIngestHandler({ metrics, usageMetrics, spool, drainer, config, log }: IngestParts): IngestHandler {
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
      // Both answer 503 with Retry-After (src/http/answers.ts).
      if (e instanceof SpoolFullError) {
        drainer.poke();
        throw e;
      }
      log.error({ err: e }, 'spool append failed');
      throw new SpoolWriteError(e);
    }
    metrics.recordsAccepted.inc(rows.length);
    usageMetrics.observe(rows);
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
    const a = answerFor(e, log);
    answer(res, a.status, JSON.stringify(a.body), a.headers);
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
