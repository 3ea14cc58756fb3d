import { timingSafeEqual, createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import { HttpError } from './errors.js';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * A preHandler that requires `Authorization: Bearer <token>` when a token is configured and
 * lets everything through when it is not. Compares digests in constant time.
 */
export function bearerAuth(token: string | undefined, realm: string): preHandlerHookHandler {
  if (!token) return function openAccess(_req, _reply, done) { done(); };
  const check = bearerCheck(token, realm)!;
  return function requireBearer(req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) {
    const err = check(req.headers.authorization);
    if (err) done(err);
    else done();
  };
}

/**
 * The check behind bearerAuth, for a raw `Authorization` header: undefined when no token is
 * configured (open), else a function returning the 401 to answer, or undefined when the token matches.
 */
export function bearerCheck(token: string | undefined, realm: string): ((authorization: string | undefined) => HttpError | undefined) | undefined {
  if (!token) return undefined;
  const want = digest(token);
  return (h) => {
    const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h.trim()) : null;
    if (m && timingSafeEqual(digest(m[1]), want)) return undefined;
    return new HttpError(401, m ? 'invalid bearer token' : 'missing bearer token', { 'www-authenticate': `Bearer realm="${realm}"` });
  };
}

/** Guards every route that reads logs (`/query`, `/stats`, the dashboard's data) with QUERY_TOKEN. */
export function queryAuth(queryToken: string | undefined): preHandlerHookHandler {
  return bearerAuth(queryToken, 'query');
}

/** Guards `POST /ingest` with INGEST_TOKEN. */
export function ingestAuth(ingestToken: string | undefined): preHandlerHookHandler {
  return bearerAuth(ingestToken, 'ingest');
}
