import type { Dialect } from '@db-log-pusher/schema';
import { BadRequestError } from '../errors.js';
import { parseTimestamp, toIso, toSqlDateTime } from '../time.js';

/** Columns compared for equality, by query parameter name. */
const EXACT = ['authority', 'method', 'trace_id', 'instance_id', 'api', 'model', 'consumer', 'route', 'service', 'mcp_server', 'mcp_tool', 'request_id'] as const;
type ExactName = (typeof EXACT)[number];

export type BizType = 'MODEL_API' | 'MCP_SERVER';

/** The log filters shared by `/query` and `/stats` (no pagination or sorting here). */
export interface LogFilters extends Partial<Record<ExactName, string>> {
  /** Inclusive lower bound, epoch ms. */
  start?: number;
  /** Inclusive upper bound, epoch ms. */
  end?: number;
  /** Substring of the request path. */
  path?: string;
  response_code?: number;
  bizType?: BizType;
  /** The row id `/query` answers with, so a link to one record can fetch it wherever it is. */
  id?: number;
}

/** Longest value accepted for any filter (the widest indexed column is VARCHAR(255); path is TEXT). */
const MAX_VALUE = 2048;

type Query = Record<string, unknown>;

/** Query values may repeat (?a=1&a=2); the last one wins, as in the reference collector. */
function one(q: Query, name: string): string | undefined {
  let v = q[name];
  if (Array.isArray(v)) v = v[v.length - 1];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') v = String(v);
  const s = (v as string).trim();
  if (s === '') return undefined;
  if (s.length > MAX_VALUE) throw new BadRequestError(name, `${name} is longer than ${MAX_VALUE} characters`);
  return s;
}

/** Times: RFC 3339, `YYYY-MM-DD HH:MM:SS` (UTC) or epoch milliseconds. */
export function parseTimeParam(name: string, v: string): number {
  if (/^\d{10,14}$/.test(v)) return Number(v);
  const t = parseTimestamp(v);
  if (t === undefined) throw new BadRequestError(name, `${name} must be RFC 3339, "YYYY-MM-DD HH:MM:SS" (UTC) or epoch milliseconds, got "${v.slice(0, 40)}"`);
  return t;
}

/** Parses a whole number query parameter within bounds, naming it when it is not one. */
export function parseIntParam(name: string, v: string, min: number, max: number): number {
  if (!/^-?\d{1,16}$/.test(v)) throw new BadRequestError(name, `${name} must be a whole number, got "${v.slice(0, 40)}"`);
  const n = Number(v);
  if (n < min || n > max) throw new BadRequestError(name, `${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/**
 * Reads every log filter from a query string object (Fastify's `request.query`). Accepts the
 * reference collector's names and aliases (`start`/`start_time`, `status`/`response_code`).
 * Throws BadRequestError naming the parameter for a nonsense value.
 */
export function parseLogFilters(query: unknown): LogFilters {
  const q = (query ?? {}) as Query;
  const f: LogFilters = {};
  const start = one(q, 'start_time') ?? one(q, 'start');
  if (start !== undefined) f.start = parseTimeParam(one(q, 'start_time') !== undefined ? 'start_time' : 'start', start);
  const end = one(q, 'end') ?? one(q, 'end_time');
  if (end !== undefined) f.end = parseTimeParam(one(q, 'end') !== undefined ? 'end' : 'end_time', end);
  // The same 400 on /query and /stats: an empty range is a mistake, not an empty answer.
  if (f.start !== undefined && f.end !== undefined && f.end < f.start) throw new BadRequestError('end', 'end is before start_time');
  for (const name of EXACT) {
    const v = one(q, name);
    if (v !== undefined) f[name] = v;
  }
  const path = one(q, 'path');
  if (path !== undefined) f.path = path;
  const codeName = one(q, 'response_code') !== undefined ? 'response_code' : 'status';
  const code = one(q, codeName);
  if (code !== undefined) f.response_code = parseIntParam(codeName, code, 0, 999);
  const id = one(q, 'id');
  if (id !== undefined) f.id = parseIntParam('id', id, 1, Number.MAX_SAFE_INTEGER);
  const biz = one(q, 'bizType') ?? one(q, 'biz_type');
  if (biz !== undefined) {
    const b = biz.toUpperCase();
    if (b !== 'MODEL_API' && b !== 'MCP_SERVER') throw new BadRequestError('bizType', `bizType must be MODEL_API or MCP_SERVER, got "${biz.slice(0, 40)}"`);
    f.bizType = b;
  }
  return f;
}

/** A time bound as the dialect stores start_time. */
function timeLiteral(ms: number, dialect: Dialect): string | Date {
  // SQLite keeps RFC 3339 text, which sorts and compares as time; the others take SQL datetimes.
  // ClickHouse's store renders a Date itself: its column type depends on the server's version.
  if (dialect === 'clickhouse') return new Date(ms);
  return dialect === 'sqlite' ? toIso(ms) : toSqlDateTime(ms);
}

/** Escapes LIKE wildcards with `!` (an escape character every dialect accepts without quoting rules). */
function likeContains(s: string): string {
  return `%${s.replace(/[!%_]/g, (c) => '!' + c)}%`;
}

/**
 * The WHERE condition for the filters, with `?` placeholders and their values in order.
 * `where` is a bare condition (`1=1` when there is no filter) so callers can AND more onto it.
 */
export function filtersToSql(f: LogFilters, dialect: Dialect): { where: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  if (f.start !== undefined) {
    parts.push('start_time >= ?');
    params.push(timeLiteral(f.start, dialect));
  }
  if (f.end !== undefined) {
    parts.push('start_time <= ?');
    params.push(timeLiteral(f.end, dialect));
  }
  for (const name of EXACT) {
    const v = f[name];
    if (v !== undefined) {
      parts.push(`${name} = ?`);
      params.push(v);
    }
  }
  if (f.path !== undefined) {
    // ClickHouse has no LIKE … ESCAPE before 20.x: a plain substring search there.
    if (dialect === 'clickhouse') {
      parts.push('position(path, ?) > 0');
      params.push(f.path);
    } else {
      parts.push("path LIKE ? ESCAPE '!'");
      params.push(likeContains(f.path));
    }
  }
  if (f.response_code !== undefined) {
    parts.push('response_code = ?');
    params.push(f.response_code);
  }
  if (f.id !== undefined) {
    parts.push('id = ?');
    params.push(f.id);
  }
  if (f.bizType === 'MODEL_API') parts.push("(model IS NOT NULL AND model <> '')");
  if (f.bizType === 'MCP_SERVER') parts.push("(mcp_server IS NOT NULL AND mcp_server <> '')");
  return { where: parts.length ? parts.join(' AND ') : '1=1', params };
}
