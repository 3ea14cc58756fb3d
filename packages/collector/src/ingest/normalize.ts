import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { FIELDS, recordJsonSchema, type Field } from '@db-log-pusher/schema';
import { BadRequestError } from '../errors.js';
import { parseTimestamp, toIso } from '../time.js';

/**
 * One normalised record: the values of FIELDS in order, ready for any store. start_time is
 * RFC 3339 UTC with milliseconds, objects (ai_log, headers) are JSON text, strings are cut to
 * their column size, missing fields are null.
 */
export type Row = (string | number | null)[];

const CANONICAL_TIME = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

let compiled: ValidateFunction | undefined;
function validator(): ValidateFunction {
  // One compiled validator for the process: compiling is the expensive part of Ajv.
  compiled ??= new Ajv({ allErrors: false, strict: false }).compile(recordJsonSchema());
  return compiled;
}

/** Cuts a string to `max` UTF-16 units without leaving half a surrogate pair behind. */
function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}

/** MySQL's TEXT holds 65,535 bytes, not characters: cut by UTF-8 bytes as well. */
const TEXT_MAX_BYTES = 65_535;

function cutBytes(s: string, maxBytes: number): string {
  // Three bytes per UTF-16 unit at most: shorter strings cannot exceed the bound.
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return s;
  const buf = Buffer.from(s).subarray(0, maxBytes);
  // Drop a character cut in half (and the replacement character decoding it would produce).
  return buf.toString('utf8').replace(/\uFFFD$/, '');
}

/** Times MySQL's DATETIME can hold. */
const MIN_TIME = Date.UTC(1000, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

function describe(err: ErrorObject): { field: string; message: string } {
  if (err.keyword === 'required') {
    const field = (err.params as { missingProperty: string }).missingProperty;
    return { field, message: `${field} is required` };
  }
  const field = err.instancePath.split('/')[1] || '(record)';
  if (field === '(record)') return { field, message: 'a record must be a JSON object' };
  const rest = err.instancePath.split('/').slice(2).join('.');
  const name = `${field}${rest ? '.' + rest : ''}`;
  if (err.keyword === 'type') {
    const types = ([] as string[]).concat((err.params as { type: string | string[] }).type).filter((t) => t !== 'null');
    return { field, message: `${name} must be ${types.map((t) => (t === 'object' || t === 'integer' ? `an ${t}` : `a ${t}`)).join(' or ')}` };
  }
  return { field, message: `${name} ${err.message ?? 'is invalid'}` };
}

/**
 * Validates one parsed record and normalises it into a Row. `where` says where it came from
 * (for example "line 3" or "record 2") so that the 400 names both the field and the place.
 */
export function normalizeRecord(rec: unknown, where: string): Row {
  const validate = validator();
  if (!validate(rec)) {
    const { field, message } = describe(validate.errors![0]);
    throw new BadRequestError(field, `${where}: ${message}`);
  }
  const r = rec as Record<string, unknown>;
  const row: Row = new Array(FIELDS.length);
  for (let i = 0; i < FIELDS.length; i++) {
    const f: Field = FIELDS[i];
    const v = r[f.name];
    if (v === undefined || v === null) {
      row[i] = null;
      continue;
    }
    switch (f.json) {
      case 'integer':
        row[i] = v as number;
        break;
      case 'string':
        if (f.name === 'start_time') {
          // Fast path: already RFC 3339 UTC with milliseconds, as the plugin sends it.
          if (CANONICAL_TIME.test(v as string) && !Number.isNaN(Date.parse(v as string)) && toIso(Date.parse(v as string)) === v) {
            row[i] = v as string;
            break;
          }
          const t = parseTimestamp(v as string);
          if (t !== undefined && (t < MIN_TIME || t > MAX_TIME)) throw new BadRequestError('start_time', `${where}: start_time must be between the years 1000 and 9999`);
          if (t === undefined) throw new BadRequestError('start_time', `${where}: start_time must be an RFC 3339 time (e.g. 2024-05-01T12:00:00.000Z), got "${cut(v as string, 40)}"`);
          row[i] = toIso(t);
        } else {
          row[i] = 'maxLength' in f ? cut(v as string, f.maxLength) : (v as string);
          if (f.sql.mysql === 'TEXT') row[i] = cutBytes(row[i] as string, TEXT_MAX_BYTES);
        }
        break;
      case 'object': {
        // ai_log: gateways often send it double-encoded as a string holding JSON.
        if (typeof v === 'string') {
          if (v.trim() === '') {
            row[i] = null;
            break;
          }
          let parsed: unknown;
          try {
            parsed = JSON.parse(v);
          } catch {
            parsed = undefined;
          }
          if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
            throw new BadRequestError(f.name, `${where}: ${f.name} must be an object or a string holding a JSON object`);
          }
          row[i] = JSON.stringify(parsed);
        } else {
          row[i] = JSON.stringify(v);
        }
        break;
      }
      case 'string-map':
        row[i] = JSON.stringify(v);
        break;
    }
  }
  return row;
}
