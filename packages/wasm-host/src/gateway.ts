// db-log-gateway: an HTTP/1.1 reverse proxy that runs a chain of proxy-wasm plugins on every
// request, streaming bodies chunk by chunk through the body callbacks and filling Envoy's
// properties from the real downstream connection and upstream exchange.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type LogLevelName, RESPONSE_FLAGS } from './abi.js';
import { HeaderMap } from './header-map.js';
import { WasmHost } from './host.js';
import { jsonLogger, type Logger } from './log.js';
import type { PluginVm } from './vm/plugin-vm.js';
import type { PluginOptions } from './vm/types.js';
import type { JsonValue } from './protobuf.js';
import type { Flavour } from './properties/tables.js';
import type { HttpStream, StreamSinks } from './stream.js';

export interface GatewayOptions {
  /** "host:port" or a port; port 0 picks a free one. Default 127.0.0.1:10000. */
  listen?: string | number;
  /** Base URL of the upstream service, e.g. http://127.0.0.1:9000 */
  upstream: string;
  /** The chain, in order. */
  plugins?: PluginOptions[];
  /** Cluster name -> base URL for the plugins' http calls. */
  clusters?: Record<string, string>;
  nodeId?: string;
  nodeMetadata?: Record<string, JsonValue>;
  /** `route_name` property. Default "default". */
  routeName?: string;
  /** `cluster_name` property of the upstream. Default outbound|PORT||HOST of the upstream URL. */
  clusterName?: string;
  /** Which Envoy to play: 'higress' (default) or 'upstream' (Envoy 1.33+). */
  flavour?: Flavour;
  /**
   * Workers (Envoy's --concurrency, default 2): each runs its own VM of every plugin, and each
   * downstream connection is served by one worker, assigned round-robin as connections arrive.
   */
  concurrency?: number;
  /** Trapped plugin: skip it (true) or answer 503 (false, default, as Envoy's fail_open: false). */
  failOpen?: boolean;
  /** Route timeout: a response not started by then gets 504 (default 15000 ms, Envoy's default). */
  timeoutMs?: number;
  /** Per-stream cap on body bytes held while plugins pause (default 16 MiB): 413 / reset beyond it. */
  bufferLimitBytes?: number;
  /** Minimum level of gateway and plugin log lines on stderr (default info). */
  logLevel?: LogLevelName;
  logger?: Logger;
  /** Grace period for in-flight requests and plugin shutdown on close (default 5000 ms). */
  shutdownGraceMs?: number;
  /** Plugins (by chain index) to start as failed, with the reason; used by the watchdog. */
  disabledPlugins?: Record<number, string>;
  /** Probe called around every plugin callback (see HostOptions.onCallback). */
  onCallback?: (plugin: PluginVm, callback: string | undefined) => void;
}

export interface Gateway {
  url: string;
  host: WasmHost;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'http2-settings']);

function guardSinks(onError: (where: string, e: unknown) => void, sinks: StreamSinks): StreamSinks {
  const out: StreamSinks = {};
  for (const [name, fn] of Object.entries(sinks) as Array<[keyof StreamSinks, (...a: unknown[]) => void]>) {
    (out as Record<string, unknown>)[name] = (...a: unknown[]) => {
      try {
        fn(...a);
      } catch (e) {
        onError(name, e);
      }
    };
  }
  return out;
}

function flagCodes(mask: number): string {
  const codes = Object.entries(RESPONSE_FLAGS).filter(([, bit]) => (mask & bit) !== 0).map(([c]) => c);
  return codes.length ? codes.join(',') : '-';
}

function parseListen(l: string | number | undefined): { host: string; port: number } {
  if (l === undefined) return { host: '127.0.0.1', port: 10000 };
  if (typeof l === 'number') return { host: '127.0.0.1', port: l };
  const i = l.lastIndexOf(':');
  if (i < 0) return { host: '127.0.0.1', port: Number(l) };
  return { host: l.slice(0, i).replace(/^\[|\]$/g, '') || '0.0.0.0', port: Number(l.slice(i + 1)) };
}

export async function startGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.logger ?? jsonLogger(opts.logLevel ?? 'info');
  const upstream = new URL(opts.upstream);
  if (upstream.protocol !== 'http:') throw new Error(`--upstream must be an http:// URL, got ${opts.upstream}`);
  const upPort = Number(upstream.port || 80);
  const clusterName = opts.clusterName ?? `outbound|${upPort}||${upstream.hostname}`;
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const bufferLimit = opts.bufferLimitBytes ?? 16 * 1024 * 1024;
  const host = new WasmHost({
    clock: 'real',
    // The route's own upstream cluster is a cluster like any other in Envoy's cluster manager,
    // so plugins may call it (Higress's wrapper does, by its `cluster_name`).
    clusters: { [clusterName]: `http://${upstream.host}`, ...opts.clusters },
    nodeId: opts.nodeId,
    nodeMetadata: opts.nodeMetadata,
    failOpen: opts.failOpen,
    flavour: opts.flavour,
    concurrency: opts.concurrency ?? 2,
    logLevel: opts.logLevel ?? 'info',
    onLog: (e) => log(e.level, e.message, { plugin: e.plugin, context: e.contextId }),
    onCallback: opts.onCallback,
    onTrap: (p, where, message) => log('error', 'plugin trapped', { plugin: p.name, callback: where, error: message, policy: p.failOpen ? 'fail-open' : 'fail-closed' }),
  });
  for (const [i, p] of (opts.plugins ?? []).entries()) {
    const vm = await host.loadPlugin(p);
    log('info', 'plugin loaded', { plugin: vm.name, abi: vm.abi, vms: host.workers.length });
    const why = opts.disabledPlugins?.[i];
    if (why) for (const w of host.vmsOf(i)) w.disable(why);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  let connectionIds = 0;
  const connIds = new WeakMap<Socket, number>();
  const active = new Set<HttpStream>();

  const server = http.createServer((req, res) => {
    const sock = req.socket;
    let connId = connIds.get(sock);
    if (connId === undefined) {
      connId = ++connectionIds;
      connIds.set(sock, connId);
    }
    const headers = new HeaderMap([
      [':authority', req.headers.host ?? upstream.host],
      [':path', req.url ?? '/'],
      [':method', req.method ?? 'GET'],
      [':scheme', 'http'],
    ]);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (k === 'host' || HOP_BY_HOP.has(k)) continue;
      headers.add(k, req.rawHeaders[i + 1]);
    }
    if (!headers.has('x-request-id')) headers.add('x-request-id', randomUUID());
    // As Envoy with use_remote_address (Higress's gateway setting): append the peer to XFF.
    const xff = headers.get('x-forwarded-for');
    if (sock.remoteAddress) headers.replace('x-forwarded-for', xff ? `${xff}, ${sock.remoteAddress}` : sock.remoteAddress);
    if (!headers.has('x-forwarded-proto')) headers.add('x-forwarded-proto', 'http');
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;

    let upReq: http.ClientRequest | undefined;
    let upRes: http.IncomingMessage | undefined;
    let upStart = 0n;
    let held = 0;
    let timer: NodeJS.Timeout | undefined;
    const local = `${sock.localAddress}:${sock.localPort}`;
    // What plugins produce can be unsendable (e.g. a header value with a newline): that request
    // fails, never the gateway.
    const onSinkError = (where: string, e: unknown): void => {
      log('error', 'cannot forward the message the plugin chain produced', { where, error: (e as Error).message, path: headers.get(':path') });
      upReq?.destroy();
      if (stream.finished) return;
      if (where.startsWith('request') && !stream.responseStarted) {
        stream.hostLocalReply(500, 'invalid_message_from_plugin', 'invalid message from plugin chain', 0);
        return;
      }
      if (!res.headersSent) {
        try {
          res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('invalid response from plugin chain');
        } catch {
          res.destroy();
        }
      } else res.destroy();
      stream.abort(0, 'invalid_message_from_plugin');
    };
    const stream: HttpStream = host.openStream(
      {
        // The connection's worker: its VMs serve every request on this connection.
        plugins: host.workers[(connId - 1) % host.workers.length],
        requestHeaders: headers,
        protocol: `HTTP/${req.httpVersion}`,
        properties: {
          'source.address': `${sock.remoteAddress}:${sock.remotePort}`,
          'source.port': sock.remotePort ?? 0,
          'destination.address': local,
          'destination.port': sock.localPort ?? 0,
          'connection.id': connId,
          'connection.mtls': false,
          connection_id: connId,
          route_name: opts.routeName ?? 'default',
          cluster_name: clusterName,
        },
      },
      guardSinks(onSinkError, {
        requestHeaders: (h, eos) => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of h.pairs) {
            if (k.startsWith(':')) continue;
            const p = out[k];
            out[k] = p === undefined ? v : Array.isArray(p) ? [...p, v] : [p, v];
          }
          out.host = h.get(':authority') ?? upstream.host;
          if (!eos && out['content-length'] === undefined) out['transfer-encoding'] = 'chunked';
          upStart = process.hrtime.bigint();
          // Envoy knows the chosen host even when connecting to it fails; the socket refines it.
          stream.setPropertyOverride('upstream.address', `${upstream.hostname}:${upPort}`);
          stream.setPropertyOverride('upstream.port', upPort);
          upReq = http.request({ hostname: upstream.hostname, port: upPort, method: h.get(':method') ?? 'GET', path: h.get(':path') ?? '/', headers: out, agent });
          upReq.on('drain', () => req.resume());
          upReq.on('socket', (s: Socket) => {
            const onConnect = () => {
              stream.setPropertyOverride('upstream.address', `${s.remoteAddress}:${s.remotePort}`);
              stream.setPropertyOverride('upstream.port', s.remotePort ?? upPort);
              stream.setPropertyOverride('upstream.local_address', `${s.localAddress}:${s.localPort}`);
            };
            if (s.remoteAddress) onConnect();
            else s.once('connect', onConnect);
          });
          upReq.on('response', (r) => onUpstreamResponse(r));
          upReq.on('error', (e: NodeJS.ErrnoException) => {
            if (stream.finished) return;
            if (!upRes && (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')) {
              // The upstream name resolves to nothing: Envoy's cluster would have no endpoints.
              stream.hostLocalReply(503, 'no_healthy_upstream', 'no healthy upstream', RESPONSE_FLAGS.UH);
            } else if (!upRes) {
              const refused = e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ETIMEDOUT';
              const reason = refused ? 'connection failure' : 'connection termination';
              stream.setPropertyOverride('upstream.transport_failure_reason', e.message);
              stream.hostLocalReply(
                503,
                `upstream_reset_before_response_started{${refused ? 'connection_failure' : 'connection_termination'}}`,
                `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`,
                refused ? RESPONSE_FLAGS.UF : RESPONSE_FLAGS.UC,
              );
            } else {
              res.destroy();
              stream.abort(RESPONSE_FLAGS.UR, 'upstream_reset_after_response_started{remote_reset}');
            }
          });
          if (eos) upReq.end();
        },
        requestData: (chunk, eos) => {
          held = Math.max(0, held - chunk.length);
          if (!upReq) return;
          const ok = chunk.length > 0 ? upReq.write(chunk) : true;
          if (!ok) req.pause();
          if (eos) upReq.end();
        },
        requestTrailers: (t) => {
          if (!upReq) return;
          const obj = t.toObject();
          if (Object.keys(obj).length) upReq.addTrailers(obj);
          upReq.end();
        },
        responseHeaders: (h, eos) => {
          clearTimeout(timer);
          const flat: string[] = [];
          for (const [k, v] of h.pairs) {
            if (k.startsWith(':') || HOP_BY_HOP.has(k)) continue;
            // Validate before writeHead: a throw half-way through leaves the response unusable.
            http.validateHeaderName(k);
            http.validateHeaderValue(k, v);
            flat.push(k, v);
          }
          res.writeHead(Number(h.get(':status') ?? 200), flat);
          if (eos) res.end();
        },
        responseData: (chunk, eos) => {
          held = Math.max(0, held - chunk.length);
          const ok = chunk.length > 0 ? res.write(chunk) : true;
          if (!ok) upRes?.pause();
          if (eos) res.end();
        },
        responseTrailers: (t) => {
          const obj = t.toObject();
          if (Object.keys(obj).length) res.addTrailers(obj);
          res.end();
        },
        localReply: () => {
          clearTimeout(timer);
          upReq?.destroy();
          upRes?.destroy();
        },
        reset: (reason) => {
          log('warn', 'stream reset', { reason, path: headers.get(':path') });
          upReq?.destroy();
          res.destroy();
        },
        done: () => {
          clearTimeout(timer);
          active.delete(stream);
          log('info', 'request', {
            method: headers.get(':method'),
            path: headers.get(':path'),
            status: Number(stream.responseHeaders?.get(':status') ?? 0),
            details: stream.codeDetails ?? 'via_upstream',
            flags: flagCodes(stream.responseFlags),
            duration_ms: Number(((stream.endNs ?? stream.startNs) - stream.startNs) / 1_000_000n),
            request_id: headers.get('x-request-id'),
          });
        },
      }),
    );
    active.add(stream);

    const onUpstreamResponse = (r: http.IncomingMessage): void => {
      upRes = r;
      const ms = Number((process.hrtime.bigint() - upStart) / 1_000_000n);
      const h = new HeaderMap([[':status', String(r.statusCode ?? 502)]]);
      for (let i = 0; i < r.rawHeaders.length; i += 2) {
        const k = r.rawHeaders[i].toLowerCase();
        if (HOP_BY_HOP.has(k)) continue;
        h.add(k, r.rawHeaders[i + 1]);
      }
      h.replace('x-envoy-upstream-service-time', String(ms));
      const noBody = req.method === 'HEAD' || r.statusCode === 204 || r.statusCode === 304 || r.headers['content-length'] === '0';
      stream.startResponse(h, noBody);
      if (noBody) {
        r.resume();
        return;
      }
      r.on('data', (c: Buffer) => {
        held += c.length;
        if (held > bufferLimit) {
          log('warn', 'response buffer limit exceeded; resetting', { limit: bufferLimit });
          res.destroy();
          r.destroy();
          stream.abort(RESPONSE_FLAGS.UO, 'response_payload_too_large');
          return;
        }
        stream.responseData(c, false);
      });
      r.on('end', () => {
        const t = trailerMap(r.rawTrailers);
        if (t.size > 0) stream.responseTrailersIn(t);
        else stream.responseData(new Uint8Array(), true);
      });
      r.on('error', () => {
        if (!stream.finished) {
          res.destroy();
          stream.abort(RESPONSE_FLAGS.UR, 'upstream_reset_after_response_started{remote_reset}');
        }
      });
    };
    // Socket-level failures end the stream through 'close'; never let them escape as uncaught.
    req.on('error', () => {});
    res.on('error', () => {});
    res.on('drain', () => upRes?.resume());
    res.on('close', () => {
      if (!stream.finished) {
        upReq?.destroy();
        stream.abort(RESPONSE_FLAGS.DC, 'downstream_remote_disconnect');
      }
    });
    timer = setTimeout(() => {
      if (stream.finished || stream.responseStarted) return;
      stream.hostLocalReply(504, 'upstream_response_timeout', 'upstream request timeout', RESPONSE_FLAGS.UT);
    }, timeoutMs);
    timer.unref();

    stream.startRequest(!hasBody);
    if (hasBody) {
      req.on('data', (c: Buffer) => {
        held += c.length;
        if (held > bufferLimit && !stream.finished) {
          log('warn', 'request buffer limit exceeded', { limit: bufferLimit });
          stream.hostLocalReply(413, 'request_payload_too_large', 'Payload Too Large', 0);
          return;
        }
        stream.requestData(c, false);
      });
      req.on('end', () => {
        const t = trailerMap(req.rawTrailers);
        if (t.size > 0) stream.requestTrailersIn(t);
        else stream.requestData(new Uint8Array(), true);
      });
    } else req.resume();
  });
  server.on('clientError', (_e, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n');
  });

  const { host: lh, port } = parseListen(opts.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, lh, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  log('info', 'gateway listening', { url, upstream: opts.upstream, plugins: host.plugins.map((p) => p.name) });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const grace = opts.shutdownGraceMs ?? 5000;
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const deadline = Date.now() + grace;
      while (active.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      server.closeAllConnections();
      await closed;
      await host.close(Math.max(0, deadline - Date.now()));
      agent.destroy();
      log('info', 'gateway stopped');
    })();
    return closing;
  };
  return { url, host, close };
}

/** Node's flat [name, value, …] trailer list as a header map with lower-case names. */
function trailerMap(raw: string[]): HeaderMap {
  const t = new HeaderMap();
  for (let i = 0; i < raw.length; i += 2) t.add(raw[i].toLowerCase(), raw[i + 1]);
  return t;
}
