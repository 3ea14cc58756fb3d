import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { BadRequestError, HttpError, SpoolWriteError, StoreUnavailableError } from '../errors.js';
import { SpoolFullError } from '../spool/spool.js';
import { StatsBusyError } from '../stats/sqlite-runner.js';

/** Seconds a client is told to wait (Retry-After) when the collector is busy or its database is down. */
export const RETRY_AFTER_S = '5';

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * The one table of domain errors: which HTTP status (and Retry-After) each answers with, on the
 * Fastify routes and on the direct node:http ingest path alike. An error not listed here, not an
 * HttpError and not a framework 4xx is a 500 without details.
 */
const DOMAIN_ERRORS: readonly { type: ErrorClass; status: number; retryAfter?: string; message: (e: Error) => string }[] = [
  { type: SpoolFullError, status: 503, retryAfter: RETRY_AFTER_S, message: () => 'the collector is holding as much as it may (spool full); retry later' },
  { type: SpoolWriteError, status: 503, retryAfter: RETRY_AFTER_S, message: () => 'could not store the records durably; retry later' },
  { type: StatsBusyError, status: 503, retryAfter: RETRY_AFTER_S, message: (e) => e.message },
  { type: StoreUnavailableError, status: 503, retryAfter: RETRY_AFTER_S, message: () => 'database unavailable' },
];

/** Fastify's own client errors whose message the collector words for its users. */
const FRAMEWORK_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported Content-Type: send application/json (an object or an array) or application/x-ndjson',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request body too large (BODY_LIMIT); split the batch',
};

/** A domain error as the HttpError it answers with, or undefined when the table does not list it. */
export function domainHttpError(e: unknown): HttpError | undefined {
  if (e instanceof HttpError) return e;
  if (!(e instanceof Error)) return undefined;
  const entry = DOMAIN_ERRORS.find((d) => e instanceof d.type);
  if (!entry) return undefined;
  return new HttpError(entry.status, entry.message(e), entry.retryAfter ? { 'retry-after': entry.retryAfter } : {});
}

export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  body: { status: 'error'; error: string; param?: string };
}

/** The answer to any error; unknown errors are logged and become a 500 without internal details. */
export function answerFor(err: unknown, log: Pick<Logger, 'error'>): ErrorAnswer {
  const known = domainHttpError(err);
  if (known) return { status: known.statusCode, headers: known.headers, body: httpErrorBody(known) };
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (err as { code?: string }).code;
    return { status, headers: {}, body: { status: 'error', error: (code && FRAMEWORK_MESSAGES[code]) || (err as Error).message } };
  }
  log.error({ err }, 'request failed');
  return { status: typeof status === 'number' && status >= 500 ? status : 500, headers: {}, body: { status: 'error', error: 'internal error' } };
}

/** The JSON answer to an HttpError. */
export function httpErrorBody(err: HttpError): ErrorAnswer['body'] {
  return { status: 'error', error: err.message, ...(err instanceof BadRequestError ? { param: err.param } : {}) };
}

/**
 * Fastify's error handler: every error answered from the table above. Client errors keep their
 * status (Fastify's own 4xx for malformed bodies, 413 and 415 included).
 */
export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const a = answerFor(err, req.log);
  reply.headers(a.headers).code(a.status).send(a.body);
}
