import { BadRequestError, HttpError } from '../errors.js';
import { normalizeRecord, type Row } from './normalize.js';

/** Content types of NDJSON bodies (one JSON object per line). */
export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines'];

function tooMany(max: number): HttpError {
  return new HttpError(413, `too many records in one request (at most ${max}; split the batch)`);
}

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadRequestError('body', `${where}malformed JSON: ${(e as Error).message}`);
  }
}

/**
 * Turns an ingest body into normalised rows: one JSON object (what the seed's reference plugin
 * posts), a JSON array of objects, or NDJSON. Any invalid record fails the whole request, so
 * nothing of it is written.
 */
export function parseIngestBody(body: Buffer, ndjson: boolean, maxRecords: number): Row[] {
  const text = body.toString('utf8');
  if (!ndjson) {
    if (text.trim() === '') throw new BadRequestError('body', 'empty body: send a JSON object, an array of objects or NDJSON');
    const v = parseJsonText(text, '');
    if (Array.isArray(v)) {
      if (v.length > maxRecords) throw tooMany(maxRecords);
      return v.map((r, i) => normalizeRecord(r, `record ${i + 1}`));
    }
    return [normalizeRecord(v, 'record 1')];
  }
  const rows: Row[] = [];
  let line = 0;
  let start = 0;
  while (start <= text.length) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    line++;
    const s = text.slice(start, nl).trim();
    start = nl + 1;
    if (s === '') continue;
    if (rows.length >= maxRecords) throw tooMany(maxRecords);
    rows.push(normalizeRecord(parseJsonText(s, `line ${line}: `), `line ${line}`));
  }
  if (rows.length === 0) throw new BadRequestError('body', 'empty body: no records');
  return rows;
}
