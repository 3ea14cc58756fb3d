import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/** A client error with an HTTP status; the error handler answers it as `{status:"error", error}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An invalid request parameter or body field; `param` names it. */
export class BadRequestError extends HttpError {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(400, message);
  }
}

/**
 * Maps every error to a JSON answer. Client errors keep their status (Fastify's own 4xx for
 * malformed bodies, 413 and 415 included); anything else is logged and becomes a 500 without
 * internal details.
 */
export function errorHandler(err: FastifyError | HttpError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const status = (err as { statusCode?: number }).statusCode;
  if (err instanceof HttpError) {
    reply.headers(err.headers).code(err.statusCode).send(httpErrorBody(err));
    return;
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (err as { code?: string }).code;
    const message =
      code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
        ? 'unsupported Content-Type: send application/json (an object or an array) or application/x-ndjson'
        : code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'request body too large (BODY_LIMIT); split the batch'
          : err.message;
    reply.code(status).send({ status: 'error', error: message });
    return;
  }
  req.log.error({ err }, 'request failed');
  reply.code(status && status >= 500 ? status : 500).send({ status: 'error', error: 'internal error' });
}

/** The JSON answer to an HttpError. */
export function httpErrorBody(err: HttpError): { status: 'error'; error: string; param?: string } {
  return { status: 'error', error: err.message, ...(err instanceof BadRequestError ? { param: err.param } : {}) };
}
