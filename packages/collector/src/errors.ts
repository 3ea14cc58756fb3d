/**
 * The collector's error types. How each is answered over HTTP (status, Retry-After) is decided
 * in one table, src/http/answers.ts.
 */

/** A client error with an HTTP status; it is answered as `{status:"error", error}`. */
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

/** The spool could not take a batch durably (a disk error; not the spool being full). */
export class SpoolWriteError extends Error {
  override name = 'SpoolWriteError';
  constructor(cause: unknown) {
    super('spool append failed', { cause });
  }
}

/** A read of the database (`/query`, `/stats`) failed. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
  constructor(cause: unknown) {
    super('database unavailable', { cause });
  }
}
