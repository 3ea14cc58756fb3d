import { FIELDS, TABLE, type StoredAccessLog } from '@db-log-pusher/schema';
import { BadRequestError } from '../errors.js';
import { parseTimestamp, toIso } from '../time.js';
import type { SqlReader } from '../store/sql-reader.js';
import { filtersToSql, parseIntParam, parseLogFilters } from './filters.js';

/** Columns `/query` may sort by: the row id and every scalar column (not JSON or bodies). */
export const SORTABLE: ReadonlySet<string> = new Set(['id', ...FIELDS.filter((f) => f.json === 'string' || f.json === 'integer' || f.json === 'number').map((f) => f.name)]);

export const DEFAULT_PAGE_SIZE = 10;
export const MAX_PAGE_SIZE = 100;

export interface LogPage {
  page: number;
  pageSize: number;
  sortBy: string;
  sortOrder: 'ASC' | 'DESC';
}

function first(q: Record<string, unknown>, name: string): string | undefined {
  let v = q[name];
  if (Array.isArray(v)) v = v[v.length - 1];
  return v === undefined || v === null || String(v).trim() === '' ? undefined : String(v).trim();
}

/** page (default 1), page_size (default 10, at most 100), sort_by (whitelisted), sort_order. */
export function parsePage(query: unknown): LogPage {
  const q = (query ?? {}) as Record<string, unknown>;
  const pageRaw = first(q, 'page');
  const page = pageRaw === undefined ? 1 : parseIntParam('page', pageRaw, 1, 1_000_000);
  const sizeName = first(q, 'page_size') !== undefined ? 'page_size' : 'pageSize';
  const sizeRaw = first(q, sizeName);
  // Like the reference collector, a page size past the maximum is clamped rather than refused.
  const pageSize = sizeRaw === undefined ? DEFAULT_PAGE_SIZE : Math.min(parseIntParam(sizeName, sizeRaw, 1, 1_000_000), MAX_PAGE_SIZE);
  const sortBy = first(q, 'sort_by') ?? 'start_time';
  if (!SORTABLE.has(sortBy)) throw new BadRequestError('sort_by', `sort_by must be one of ${[...SORTABLE].join(', ')}`);
  const order = (first(q, 'sort_order') ?? 'desc').toUpperCase();
  if (order !== 'ASC' && order !== 'DESC') throw new BadRequestError('sort_order', 'sort_order must be asc or desc');
  return { page, pageSize, sortBy, sortOrder: order };
}

function parseJson(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v !== 'string') return v; // drivers that decode JSON columns themselves
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

/** A database row → the wire record: RFC 3339 start_time, objects for JSON columns, every field present. */
export function rowToLog(row: Record<string, unknown>): StoredAccessLog {
  const out: Record<string, unknown> = { id: Number(row.id) };
  for (const f of FIELDS) {
    const v = row[f.name];
    if (v === undefined || v === null) out[f.name] = null;
    else if (f.name === 'start_time') {
      const t = v instanceof Date ? v.getTime() : parseTimestamp(String(v));
      out[f.name] = t === undefined ? String(v) : toIso(t);
    } else if (f.json === 'object' || f.json === 'string-map') out[f.name] = parseJson(v);
    else if (f.json === 'integer' || f.json === 'number') out[f.name] = typeof v === 'number' ? v : Number(v);
    else out[f.name] = String(v);
  }
  return out as StoredAccessLog;
}

/** Runs `/query`: filters, total count, one page in the requested order. */
export async function queryLogs(reader: SqlReader, query: unknown): Promise<{ total: number; logs: StoredAccessLog[] }> {
  const filters = parseLogFilters(query);
  const page = parsePage(query);
  const { where, params } = filtersToSql(filters, reader.dialect);
  const [countRow] = await reader.all(`SELECT COUNT(*) AS total FROM ${TABLE} WHERE ${where}`, params);
  const total = Number(countRow?.total ?? 0);
  if (total === 0) return { total, logs: [] };
  // sort_by is whitelisted above; the id tie-breaker keeps pages stable.
  // PostgreSQL sorts NULL as the largest value; SQLite and MySQL as the smallest: say it for the same pages.
  // ClickHouse puts NULLs last either way.
  const nulls = reader.dialect === 'postgres' || reader.dialect === 'clickhouse' ? (page.sortOrder === 'ASC' ? ' NULLS FIRST' : ' NULLS LAST') : '';
  const order = `${page.sortBy} ${page.sortOrder}${nulls}${page.sortBy === 'id' ? '' : `, id ${page.sortOrder}`}`;
  const rows = await reader.all(`SELECT * FROM ${TABLE} WHERE ${where} ORDER BY ${order} LIMIT ? OFFSET ?`, [...params, page.pageSize, (page.page - 1) * page.pageSize]);
  return { total, logs: rows.map(rowToLog) };
}
