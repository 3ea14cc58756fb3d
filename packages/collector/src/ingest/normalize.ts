import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { FIELDS, recordJsonSchema, type Field } from '@db-log-pusher/schema';
import { BadRequestError } from '../errors.js';
import { parseTimestamp, toIso } from '../time.js';
import { deriveAiFields } from './ai-fields.js';

/**
 * One normalised record: the values of FIELDS in order, ready for any store. start_time is
 * RFC 3339 UTC with milliseconds, objects (ai_log, headers) are JSON text, strings are cut to
 * their column size, missing fields are null.
 */
export type Row = (string | number | null)[];

const CANONICAL_TIME = /^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Days in each month of a common year. */
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * True for an RFC 3339 UTC time with milliseconds that names a real instant
 * (`2024-05-01T12:00:00.123Z`, as the plugin sends it): such a value is stored as it is.
 * Checked digit by digit, without building a Date; anything else takes parseTimestamp.
 */
function isCanonicalTime(s: string): boolean {
  if (s.length !== 24 || !CANONICAL_TIME.test(s)) return false;
  const d2 = (at: number) => (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
  const year = d2(0) * 100 + d2(2);
  const month = d2(5);
  const day = d2(8);
  if (month < 1 || month > 12 || day < 1 || d2(11) > 23 || d2(14) > 59 || d2(17) > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : MONTH_DAYS[month - 1]);
}

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

const INTEGER = 0;
const START_TIME = 1;
const STRING = 2;
const OBJECT = 3;
const STRING_MAP = 4;
const NUMBER = 5;

/** How each field of FIELDS is normalised, worked out once rather than per record. */
const PLAN: readonly { name: string; kind: number; maxLength?: number; text: boolean }[] = FIELDS.map((f: Field) => ({
  name: f.name,
  kind: f.json === 'integer' ? INTEGER : f.json === 'number' ? NUMBER : f.json === 'string' ? (f.name === 'start_time' ? START_TIME : STRING) : f.json === 'object' ? OBJECT : STRING_MAP,
  maxLength: 'maxLength' in f ? f.maxLength : undefined,
  text: f.sql.mysql === 'TEXT',
}));

/**
 * start_time no gateway sends: before 2000, or more than a day ahead of this host's clock (a
 * day leaves room for skewed clocks). Such a value is a broken clock or a forged record.
 */
const MIN_TIME = Date.UTC(2000, 0, 1);
const MIN_TIME_TEXT = '2000-01-01T00:00:00.000Z';
const MAX_AHEAD_MS = 24 * 3600_000;

/** Deepest nesting of objects and arrays taken inside ai_log; MySQL's JSON type stops at 100. */
export const MAX_JSON_DEPTH = 64;

/** True when `v` nests objects/arrays deeper than `max` levels; iterative, so no depth can overflow the stack. */
function nestsDeeper(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length > 0) {
    const [x, depth] = stack.pop()!;
    if (depth > max) return true;
    if (Array.isArray(x)) {
      for (const e of x) if (e !== null && typeof e === 'object') stack.push([e, depth + 1]);
    } else {
      for (const k in x as Record<string, unknown>) {
        const e = (x as Record<string, unknown>)[k];
        if (e !== null && typeof e === 'object') stack.push([e, depth + 1]);
      }
    }
  }
  return false;
}

/** The range of each integer field that a gateway can send: counts and sizes are never negative. */
function integerProblem(name: string, n: number): string | undefined {
  if (name === 'response_code') return n === 0 || (n >= 100 && n <= 599) ? undefined : 'response_code must be 0 or between 100 and 599';
  if (n < 0) return `${name} must not be negative`;
  if (n > Number.MAX_SAFE_INTEGER) return `${name} must be at most ${Number.MAX_SAFE_INTEGER}`;
  return undefined;
}

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

let maxTimeAt = 0;
let maxTimeIso = '';
/** The latest start_time taken, as canonical text; worked out at most once a second. */
function maxTimeText(): string {
  const now = Date.now();
  if (now - maxTimeAt >= 1000) {
    maxTimeAt = now;
    maxTimeIso = toIso(now + MAX_AHEAD_MS);
  }
  return maxTimeIso;
}

function outOfRange(s: string, where: string): BadRequestError {
  return new BadRequestError('start_time', `${where}: start_time must be after 2000-01-01 and at most a day ahead of the collector's clock, got "${cut(s, 40)}"`);
}

function tooDeep(field: string, where: string): BadRequestError {
  return new BadRequestError(field, `${where}: ${field} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
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
  const row: Row = new Array(PLAN.length);
  let aiLog: Record<string, unknown> | undefined;
  for (let i = 0; i < PLAN.length; i++) {
    const f = PLAN[i];
    const v = r[f.name];
    if (v === undefined || v === null) {
      row[i] = null;
      continue;
    }
    switch (f.kind) {
      case INTEGER: {
        const n = v as number;
        // Only values outside 1..599 can be wrong; the common ones skip the check.
        if (n < 1 || n > 599) {
          const problem = integerProblem(f.name, n);
          if (problem) throw new BadRequestError(f.name, `${where}: ${problem}, got ${n}`);
        } else if (n < 100 && f.name === 'response_code') throw new BadRequestError(f.name, `${where}: ${integerProblem(f.name, n)}, got ${n}`);
        row[i] = n;
        break;
      }
      case NUMBER:
        // cost: the JSON Schema keeps it a number >= 0; held under the column's 8 integer digits.
        if ((v as number) >= 1e8) throw new BadRequestError(f.name, `${where}: ${f.name} must be below 100000000, got ${v as number}`);
        row[i] = v as number;
        break;
      case START_TIME: {
        const s = v as string;
        // Fast path: already RFC 3339 UTC with milliseconds, as the plugin sends it; that form
        // orders as text, so the bounds need no Date.
        if (isCanonicalTime(s)) {
          if (s < MIN_TIME_TEXT || s > maxTimeText()) throw outOfRange(s, where);
          row[i] = s;
          break;
        }
        const t = parseTimestamp(s);
        if (t === undefined) throw new BadRequestError('start_time', `${where}: start_time must be an RFC 3339 time (e.g. 2024-05-01T12:00:00.000Z), got "${cut(s, 40)}"`);
        if (t < MIN_TIME || t > Date.now() + MAX_AHEAD_MS) throw outOfRange(s, where);
        row[i] = toIso(t);
        break;
      }
      case STRING: {
        const s = f.maxLength !== undefined ? cut(v as string, f.maxLength) : (v as string);
        row[i] = f.text ? cutBytes(s, TEXT_MAX_BYTES) : s;
        break;
      }
      case OBJECT: {
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
          if (nestsDeeper(parsed, MAX_JSON_DEPTH)) throw tooDeep(f.name, where);
          row[i] = JSON.stringify(parsed);
          aiLog = parsed as Record<string, unknown>;
        } else {
          if (nestsDeeper(v, MAX_JSON_DEPTH)) throw tooDeep(f.name, where);
          row[i] = JSON.stringify(v);
          aiLog = v as Record<string, unknown>;
        }
        break;
      }
      case STRING_MAP:
        row[i] = JSON.stringify(v);
        break;
    }
  }
  // The AI usage fields the record left out, from ai_log (the only object field).
  if (aiLog) deriveAiFields(row, aiLog);
  return row;
}
