import type { IncomingHttpHeaders } from 'node:http';
import { HttpError } from '../errors.js';
import { NDJSON_TYPES } from './parse.js';

/** What an ingest request's headers say about its body, or the error to answer before reading it. */
export type HeaderVerdict = { ndjson: boolean; error?: undefined } | { error: HttpError };

const CHARSET = /(?:^|;)\s*charset\s*=\s*"?([^";\s]*)"?/i;

/**
 * The checks an ingest request gets from its headers alone, before a byte of its body is read:
 * the token (a wrong one never makes the collector buffer a body), the media type, the charset
 * (JSON is UTF-8; another charset would be stored garbled) and the encoding (compressed bodies
 * are not inflated, so their size stays bounded by BODY_LIMIT). `auth` is the INGEST_TOKEN check.
 */
export function checkIngestHeaders(h: IncomingHttpHeaders, auth: ((authorization: string | undefined) => HttpError | undefined) | undefined): HeaderVerdict {
  const denied = auth?.(h.authorization);
  if (denied) return { error: denied };
  const type = h['content-type'] ?? '';
  const semi = type.indexOf(';');
  const media = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  const ndjson = NDJSON_TYPES.includes(media);
  if (!ndjson && media !== 'application/json') {
    return { error: new HttpError(415, 'unsupported Content-Type: send application/json (an object or an array) or application/x-ndjson') };
  }
  if (semi >= 0) {
    const charset = CHARSET.exec(type.slice(semi))?.[1].toLowerCase();
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      return { error: new HttpError(415, `unsupported charset "${charset}": send the body as UTF-8`) };
    }
  }
  const encoding = h['content-encoding'];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    return { error: new HttpError(415, `unsupported Content-Encoding "${encoding.slice(0, 40)}": send the body uncompressed`) };
  }
  return { ndjson };
}
