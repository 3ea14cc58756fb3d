/**
 * Calls to the collector's read API. The page is served by the collector itself, so the API is
 * at relative URLs ('stats', 'query') next to the page. When QUERY_TOKEN is set the collector
 * answers 401; the page then asks for the token once and keeps it in localStorage.
 */

// The /stats answer's shapes come from the collector, which computes it (types only).
import type { GroupKey, Kpis, Metrics, StatsResult } from '@db-log-pusher/collector/stats-types';

const TOKEN_KEY = 'db-log-pusher.query-token';

export class UnauthorizedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  if (token) localStorage.setItem(TOKEN_KEY, token);
  else localStorage.removeItem(TOKEN_KEY);
}

export type Params = Record<string, string | number | undefined | null>;

function queryString(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export async function getJson<T>(path: 'stats' | 'query', params: Params, signal?: AbortSignal): Promise<T> {
  const token = getToken();
  const res = await fetch(`./${path}${queryString(params)}`, {
    headers: token ? { authorization: `Bearer ${token}`, accept: 'application/json' } : { accept: 'application/json' },
    signal,
  });
  if (res.status === 401) throw new UnauthorizedError(token ? 'The access token was refused.' : 'This collector needs an access token.');
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON: reported below */
  }
  if (!res.ok) {
    const msg = (body && typeof body === 'object' && ('error' in body || 'message' in body))
      ? String((body as Record<string, unknown>).error ?? (body as Record<string, unknown>).message)
      : text.slice(0, 200);
    throw new ApiError(res.status, `${res.status}: ${msg}`);
  }
  return body as T;
}

// ---- shapes of the answers (see packages/collector/README.md) -----------------------------------

export type { GroupKey, Kpis, Metrics };
export type StatsAnswer = StatsResult;

export type LogRecord = Record<string, unknown> & { id?: number };

export interface QueryAnswer {
  total: number;
  logs: LogRecord[];
  status: string;
}
