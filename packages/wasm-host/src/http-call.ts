// proxy_http_call transport: a real HTTP/1.1 request to a named cluster's address, with the
// response shapes Envoy's async client hands to plugins when the call times out or cannot connect.

import http from 'node:http';
import https from 'node:https';
import { HeaderMap, type HeaderPairs } from './header-map.js';

export interface HttpCallRequest {
  cluster: string;
  /** All request headers as the plugin gave them, including :method, :path and :authority. */
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
}

export type HttpCallOutcome =
  | { kind: 'response'; status: number; headers: HeaderPairs; body: Uint8Array; trailers: HeaderPairs }
  /** Delivered as proxy_on_http_call_response with zero headers, as Envoy does on a reset. */
  | { kind: 'failure'; reason: string };

/** What an http-call interceptor may answer instead of a real request. */
export type HttpCallReply =
  | { status: number; headers?: Record<string, string> | HeaderPairs; body?: string | Uint8Array; trailers?: HeaderPairs; delayMs?: number }
  | { timeout: true; delayMs?: number }
  | { reset: true; delayMs?: number }
  | { connectionFailure: true; delayMs?: number }
  /** Returned synchronously: the cluster has no healthy host, proxy_http_call fails inline with InternalFailure. */
  | { noHealthyUpstream: true };

const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** Envoy's local reply for a request that timed out in the async client. */
export function timeoutOutcome(): HttpCallOutcome {
  return localReply(504, 'upstream request timeout');
}

/** Envoy's local reply when the cluster's host cannot be reached. */
export function connectFailureOutcome(): HttpCallOutcome {
  return localReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
}

function localReply(status: number, text: string): HttpCallOutcome {
  const body = new TextEncoder().encode(text);
  return {
    kind: 'response',
    status,
    headers: [
      [':status', String(status)],
      ['content-length', String(body.length)],
      ['content-type', 'text/plain'],
    ],
    body,
    trailers: [],
  };
}

export function replyToOutcome(r: HttpCallReply): HttpCallOutcome {
  if ('timeout' in r) return timeoutOutcome();
  if ('reset' in r) return { kind: 'failure', reason: 'reset' };
  if ('connectionFailure' in r || 'noHealthyUpstream' in r) return connectFailureOutcome();
  const body = typeof r.body === 'string' ? new TextEncoder().encode(r.body) : (r.body ?? new Uint8Array());
  const hm = new HeaderMap(r.headers);
  hm.remove(':status');
  return {
    kind: 'response',
    status: r.status,
    headers: [[':status', String(r.status)], ...hm.pairs],
    body,
    trailers: r.trailers ?? [],
  };
}

/** Sends the call to baseUrl; resolves (never rejects) with what the plugin will see. */
export async function sendHttpCall(baseUrl: string, req: HttpCallRequest, signal: AbortSignal, agent?: http.Agent): Promise<HttpCallOutcome> {
  const first = await sendOnce(baseUrl, req, signal, agent);
  // A pooled connection the server closed while idle fails on reuse; the pool retries such a
  // request on a fresh connection, as Envoy's connection pool does.
  if (first.kind === 'failure' && first.reason === 'stale connection' && !signal.aborted) return sendOnce(baseUrl, req, signal, undefined);
  if (first.kind === 'failure' && first.reason === 'stale connection') return { kind: 'failure', reason: 'reset' };
  return first;
}

function sendOnce(baseUrl: string, req: HttpCallRequest, signal: AbortSignal, agent: http.Agent | undefined): Promise<HttpCallOutcome> {
  return new Promise((resolve) => {
    const hm = new HeaderMap(req.headers);
    const base = new URL(baseUrl);
    const path = hm.get(':path') ?? '/';
    const method = hm.get(':method') ?? 'GET';
    const authority = hm.get(':authority') ?? base.host;
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of hm.pairs) {
      if (k.startsWith(':')) continue;
      const prev = headers[k];
      headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    headers.host = authority;
    if (req.body.length > 0) headers['content-length'] = String(req.body.length);
    const mod = base.protocol === 'https:' ? https : http;
    let settled = false;
    const done = (o: HttpCallOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(o);
    };
    const r = mod.request(
      {
        protocol: base.protocol,
        hostname: base.hostname,
        port: base.port || undefined,
        method,
        path: (base.pathname.replace(/\/$/, '') || '') + path,
        headers,
        // Pooled connections to plain-http clusters, as Envoy's cluster connection pool.
        agent: base.protocol === 'http:' && agent ? agent : false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_RESPONSE_BYTES) {
            res.destroy();
            done({ kind: 'failure', reason: 'response too large' });
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const pairs: HeaderPairs = [[':status', String(res.statusCode ?? 0)]];
          for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i].toLowerCase(), res.rawHeaders[i + 1]]);
          const trailers: HeaderPairs = [];
          for (let i = 0; i < res.rawTrailers.length; i += 2) trailers.push([res.rawTrailers[i].toLowerCase(), res.rawTrailers[i + 1]]);
          done({ kind: 'response', status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks), trailers });
        });
        res.on('error', () => done({ kind: 'failure', reason: 'reset' }));
      },
    );
    // Envoy treats a timeout of 0 as "no timeout".
    const timer = req.timeoutMs > 0 ? setTimeout(() => {
      r.destroy();
      done(timeoutOutcome());
    }, req.timeoutMs) : undefined;
    r.on('error', (e: NodeJS.ErrnoException) => {
      if (settled) return;
      if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') done(localReply(503, 'no healthy upstream'));
      else if (e.code === 'ECONNRESET' && r.reusedSocket) done({ kind: 'failure', reason: 'stale connection' });
      else if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ECONNRESET') done(connectFailureOutcome());
      else done({ kind: 'failure', reason: 'reset' });
    });
    signal.addEventListener('abort', () => {
      r.destroy();
      done({ kind: 'failure', reason: 'cancelled' });
    }, { once: true });
    if (req.body.length > 0) r.write(req.body);
    r.end();
  });
}
