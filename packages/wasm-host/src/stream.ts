// One HTTP stream through a chain of plugins, with Envoy's filter-manager semantics: request
// events pass the plugins in order, response events in reverse order; a plugin that pauses holds
// its direction until it continues; a paused body is buffered and re-presented whole
// (StopIterationAndBuffer); local responses end the request and run through the response path.

import { BufferType, DataAction, HeadersAction, MapType, Status, StreamType } from './abi.js';
import { fieldBytes, HeaderMap, type HeaderPairs, serializeFields, serializePairs } from './header-map.js';
import { concat } from './bytes.js';
import type { PluginVm } from './vm/plugin-vm.js';
import type { Context, StreamBinding } from './vm/types.js';
import { encodeProperty, encodeTyped, type PropertyInput } from './properties/encode.js';
import { canonicalDotted, PROPERTY_TABLES, type PropertyType } from './properties/tables.js';
import type { VmHost } from './vm/host-api.js';

const enc = new TextEncoder();
/** Property names that are maps of their own (request.*, response.*, ...). */
const MAP_PROPERTIES = new Set(['request', 'response', 'connection', 'upstream', 'source', 'destination']);

type Ev = { k: 'headers'; eos: boolean } | { k: 'data'; data: Uint8Array; eos: boolean } | { k: 'trailers' };

/** Where the stream's output goes: upstream for the request, downstream for the response. */
export interface StreamSinks {
  requestHeaders?(headers: HeaderMap, endOfStream: boolean): void;
  requestData?(chunk: Uint8Array, endOfStream: boolean): void;
  requestTrailers?(trailers: HeaderMap): void;
  responseHeaders?(headers: HeaderMap, endOfStream: boolean): void;
  responseData?(chunk: Uint8Array, endOfStream: boolean): void;
  responseTrailers?(trailers: HeaderMap): void;
  /** A local response replaced the upstream exchange: stop sending to / reading from upstream. */
  localReply?(status: number, details: string): void;
  /** The stream must be reset (e.g. a fail-closed trap after the response started). */
  reset?(reason: string): void;
  /** The stream finished: on_log/on_done/on_delete ran for every plugin. */
  done?(): void;
}

/** What a plugin did on one callback, for tests to inspect. */
export interface ActionRecord {
  plugin: string;
  callback: string;
  action: 'continue' | 'pause' | 'trap' | 'skipped';
  value?: number;
}

export interface LocalReplyRecord {
  plugin: string;
  status: number;
  details: string;
  body: Uint8Array;
  headers: HeaderPairs;
  grpcStatus: number;
}

class Stage {
  queue: Ev[] = [];
  paused: 'headers' | 'data' | 'trailers' | null = null;
  buffer: Uint8Array | null = null;
  bufferEos = false;
  current: Uint8Array | null = null;
  inCallback = false;
  continueRequested = false;
  heldEos = false;
  constructor(readonly dir: 'request' | 'response', readonly pos: number, readonly plugin: number) {}
}

export interface StreamOptions {
  requestHeaders: HeaderMap;
  /** Property overrides by dotted path (`response.code_details`, `upstream.address`, ...). */
  properties?: Record<string, PropertyInput>;
  /** Filter state preset by full key (e.g. `wasm.ai_log`). */
  filterState?: Record<string, string | Uint8Array>;
  protocol?: string;
}

export class HttpStream implements StreamBinding {
  readonly requestHeaders: HeaderMap;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  readonly filterState = new Map<string, Uint8Array>();
  readonly actions: ActionRecord[] = [];
  localReply: LocalReplyRecord | undefined;
  readonly contexts: (Context | undefined)[];
  /** Overrides as given; encoded when a plugin first reads them. */
  private props = new Map<string, PropertyInput | Uint8Array>();
  private encoded = new Map<string, Uint8Array>();
  private reqStages: Stage[];
  private respStages: Stage[];
  private requestEnded = false;
  private responseInputIgnored = false;
  responseStarted = false;
  finished = false;
  requestComplete = false;
  requestBodyBytes = 0;
  responseBodyBytes = 0;
  readonly startNs: bigint;
  endNs: bigint | undefined;
  responseFlags = 0;
  codeDetails: string | undefined;
  private protocol: string;
  /** How request.time and request.duration are encoded in this flavour. */
  private timeTypes: [PropertyType, PropertyType];
  /** Per plugin: the header maps its context holds now (upstream flavour; see headerMap). */
  private liveMaps: Set<number>[];
  private logPhase = false;

  constructor(
    readonly host: VmHost,
    readonly plugins: PluginVm[],
    opts: StreamOptions,
    readonly sinks: StreamSinks,
  ) {
    this.requestHeaders = opts.requestHeaders;
    this.protocol = opts.protocol ?? 'HTTP/1.1';
    this.startNs = host.clock.nowNs();
    for (const [k, v] of Object.entries(opts.properties ?? {})) this.setPropertyOverride(k, v);
    for (const [k, v] of Object.entries(opts.filterState ?? {})) this.filterState.set(k, typeof v === 'string' ? enc.encode(v) : v);
    this.reqStages = plugins.map((_, i) => new Stage('request', i, i));
    this.respStages = plugins.map((_, i) => new Stage('response', i, plugins.length - 1 - i));
    this.contexts = plugins.map(() => undefined);
    this.liveMaps = plugins.map(() => new Set<number>());
    const table = PROPERTY_TABLES[host.flavour];
    this.timeTypes = [table['request.time'].type as PropertyType, table['request.duration'].type as PropertyType];
  }

  /** Sets (or with undefined, removes) a property by dotted path; `wasm.*` keys go to filter state. */
  setPropertyOverride(path: string, v: PropertyInput | undefined): void {
    if (path.startsWith('wasm.')) {
      if (v === undefined) this.filterState.delete(path);
      else this.filterState.set(path, typeof v === 'string' ? enc.encode(v) : v instanceof Uint8Array ? v : encodeProperty(path, v, this.host.flavour));
      return;
    }
    path = canonicalDotted(this.host.flavour, path);
    this.encoded.delete(path);
    if (v === undefined) this.props.delete(path);
    else this.props.set(path, v);
  }

  // ---- input -----------------------------------------------------------------------------------

  startRequest(endOfStream: boolean): void {
    for (let i = 0; i < this.plugins.length; i++) {
      const p = this.plugins[i];
      if (p.failed) {
        if (!p.failOpen) {
          this.actions.push({ plugin: p.name, callback: 'proxy_on_request_headers', action: 'trap' });
          this.hostLocalReply(503, 'wasm_fail_stream', '', 0);
          return;
        }
      }
    }
    if (endOfStream) this.requestComplete = true;
    this.deliver(this.reqStages, 0, { k: 'headers', eos: endOfStream });
  }

  requestData(chunk: Uint8Array, endOfStream: boolean): void {
    if (this.requestEnded) return;
    this.requestBodyBytes += chunk.length;
    if (endOfStream) this.requestComplete = true;
    this.deliver(this.reqStages, 0, { k: 'data', data: chunk, eos: endOfStream });
  }

  requestTrailersIn(trailers: HeaderMap): void {
    if (this.requestEnded) return;
    this.requestTrailers = trailers;
    this.requestComplete = true;
    this.deliver(this.reqStages, 0, { k: 'trailers' });
  }

  startResponse(headers: HeaderMap, endOfStream: boolean): void {
    if (this.responseInputIgnored || this.finished) return;
    this.responseHeaders = headers;
    this.deliver(this.respStages, 0, { k: 'headers', eos: endOfStream });
  }

  responseData(chunk: Uint8Array, endOfStream: boolean): void {
    if (this.responseInputIgnored || this.finished) return;
    this.deliver(this.respStages, 0, { k: 'data', data: chunk, eos: endOfStream });
  }

  responseTrailersIn(trailers: HeaderMap): void {
    if (this.responseInputIgnored || this.finished) return;
    this.responseTrailers = trailers;
    this.deliver(this.respStages, 0, { k: 'trailers' });
  }

  /**
   * A response generated by the host itself (upstream connect failure, timeout, fail-closed),
   * sent through the plugins' response path as Envoy's router sends its local replies.
   */
  hostLocalReply(status: number, details: string, body: string, flags: number): void {
    this.responseFlags |= flags;
    this.runLocalReply(status, details, enc.encode(body), [], false);
  }

  /** Ends the stream early (client went away, upstream reset after the response started). */
  abort(flags: number, details?: string): void {
    this.responseFlags |= flags;
    if (details && !this.codeDetails) this.codeDetails = details;
    this.finish();
  }

  // ---- pipeline --------------------------------------------------------------------------------

  private deliver(stages: Stage[], pos: number, ev: Ev): void {
    if (this.finished) return;
    if (pos >= stages.length) {
      this.sink(stages === this.reqStages ? 'request' : 'response', ev);
      return;
    }
    stages[pos].queue.push(ev);
    this.pump(stages, pos);
  }

  private pump(stages: Stage[], pos: number): void {
    const st = stages[pos];
    if (st.inCallback) return;
    while (st.queue.length > 0 && !this.finished) {
      if (st.dir === 'request' && this.requestEnded) {
        st.queue.length = 0;
        return;
      }
      if (st.dir === 'response' && stages !== this.respStages) return;
      if (st.paused === 'headers') return;
      const ev = st.queue[0];
      if (st.paused === 'trailers') return;
      if (st.paused === 'data' && ev.k === 'headers') return;
      st.queue.shift();
      // Data queued while the stage was held is handed over in one piece, as Envoy does.
      if (ev.k === 'data') {
        while (st.queue.length > 0 && st.queue[0].k === 'data' && !ev.eos) {
          const nx = st.queue.shift() as Extract<Ev, { k: 'data' }>;
          ev.data = concat(ev.data, nx.data);
          ev.eos = nx.eos;
        }
      }
      this.process(stages, st, ev);
    }
  }

  private forward(stages: Stage[], st: Stage, ev: Ev): void {
    this.deliver(stages, st.pos + 1, ev);
  }

  private process(stages: Stage[], st: Stage, ev: Ev): void {
    const plugin = this.plugins[st.plugin];
    const req = st.dir === 'request';
    // As Envoy: a plugin's stream context starts with its request headers; one that never saw
    // them (an earlier plugin answered first) gets no response callbacks, only on_log.
    if (!this.contexts[st.plugin] && req && ev.k === 'headers' && !plugin.failed) {
      this.contexts[st.plugin] = plugin.createStreamContext(this, st.plugin);
    }
    const ctx = this.contexts[st.plugin];
    if (!ctx || ctx.deleted || plugin.failed) {
      if (plugin.failed && !plugin.failOpen && ctx) {
        this.failClosed(plugin);
        return;
      }
      this.forward(stages, st, ev);
      return;
    }
    let cb: string;
    let r: number | undefined;
    const replyBefore = this.localReply;
    const held = ev.k === 'headers' ? (req ? MapType.HttpRequestHeaders : MapType.HttpResponseHeaders)
      : ev.k === 'trailers' ? (req ? MapType.HttpRequestTrailers : MapType.HttpResponseTrailers) : undefined;
    if (held !== undefined) this.liveMaps[st.plugin].add(held);
    st.inCallback = true;
    try {
      if (ev.k === 'headers') {
        cb = req ? 'proxy_on_request_headers' : 'proxy_on_response_headers';
        const map = req ? this.requestHeaders : this.responseHeaders;
        r = plugin.callHeaders(cb as 'proxy_on_request_headers', ctx, map?.size ?? 0, ev.eos);
      } else if (ev.k === 'data') {
        cb = req ? 'proxy_on_request_body' : 'proxy_on_response_body';
        const data = st.paused === 'data' && st.buffer ? concat(st.buffer, ev.data) : ev.data;
        st.current = data;
        r = plugin.callNum(cb, ctx, 0, ctx.id, data.length, ev.eos ? 1 : 0);
      } else {
        cb = req ? 'proxy_on_request_trailers' : 'proxy_on_response_trailers';
        const map = req ? this.requestTrailers : this.responseTrailers;
        r = plugin.callNum(cb, ctx, 0, ctx.id, map?.size ?? 0);
      }
    } finally {
      st.inCallback = false;
    }
    if (r === undefined) {
      this.actions.push({ plugin: plugin.name, callback: cb, action: 'trap' });
      st.current = null;
      if (!plugin.failOpen) {
        this.failClosed(plugin);
        return;
      }
      this.releaseStage(stages, st, ev);
      return;
    }
    const paused = ev.k === 'headers' ? r !== HeadersAction.Continue && r !== HeadersAction.ContinueAndEndStream : r !== DataAction.Continue;
    if (held !== undefined && !paused) this.liveMaps[st.plugin].delete(held);
    this.actions.push({ plugin: plugin.name, callback: cb, action: paused ? 'pause' : 'continue', value: r });
    if (this.localReply !== replyBefore || this.finished || (req && this.requestEnded)) {
      // Hold this direction: nothing more passes the plugin that answered locally.
      st.paused = ev.k === 'data' ? 'data' : ev.k;
      st.current = null;
      return;
    }
    if (!paused) {
      this.releaseStage(stages, st, ev);
      return;
    }
    if (ev.k === 'headers') {
      st.paused = 'headers';
      st.heldEos = ev.eos;
    } else if (ev.k === 'data') {
      const data = st.current ?? ev.data;
      st.current = null;
      st.buffer = r === DataAction.StopIterationNoBuffer ? new Uint8Array() : data;
      st.bufferEos = ev.eos;
      st.paused = 'data';
    } else {
      st.paused = 'trailers';
    }
    if (st.continueRequested) {
      st.continueRequested = false;
      this.resume(stages, st);
    }
  }

  /** Passes the event on (with any body the stage held) and clears the stage's pause. */
  private releaseStage(stages: Stage[], st: Stage, ev: Ev): void {
    st.continueRequested = false;
    if (ev.k === 'data') {
      const data = st.current ?? ev.data;
      st.current = null;
      st.buffer = null;
      st.paused = null;
      this.forward(stages, st, { k: 'data', data, eos: ev.eos });
      return;
    }
    if (ev.k === 'trailers' && st.buffer) {
      const b = st.buffer;
      st.buffer = null;
      if (b.length > 0) this.forward(stages, st, { k: 'data', data: b, eos: false });
    }
    st.paused = null;
    this.forward(stages, st, ev);
  }

  private resume(stages: Stage[], st: Stage): void {
    const was = st.paused;
    if (!was) return;
    if (was === 'headers') {
      st.paused = null;
      this.forward(stages, st, { k: 'headers', eos: st.heldEos });
    } else if (was === 'data') {
      const b = st.buffer ?? new Uint8Array();
      st.buffer = null;
      st.paused = null;
      if (b.length > 0 || st.bufferEos) this.forward(stages, st, { k: 'data', data: b, eos: st.bufferEos });
    } else {
      st.paused = null;
      if (st.buffer && st.buffer.length > 0) this.forward(stages, st, { k: 'data', data: st.buffer, eos: false });
      st.buffer = null;
      this.forward(stages, st, { k: 'trailers' });
    }
    this.pump(stages, st.pos);
  }

  private sink(dir: 'request' | 'response', ev: Ev): void {
    const s = this.sinks;
    if (dir === 'request') {
      if (this.requestEnded) return;
      if (ev.k === 'headers') s.requestHeaders?.(this.requestHeaders, ev.eos);
      else if (ev.k === 'data') s.requestData?.(ev.data, ev.eos);
      else s.requestTrailers?.(this.requestTrailers ?? new HeaderMap());
      return;
    }
    if (ev.k === 'headers') {
      this.responseStarted = true;
      s.responseHeaders?.(this.responseHeaders ?? new HeaderMap(), ev.eos);
      if (ev.eos) this.finish();
    } else if (ev.k === 'data') {
      this.responseBodyBytes += ev.data.length;
      s.responseData?.(ev.data, ev.eos);
      if (ev.eos) this.finish();
    } else {
      s.responseTrailers?.(this.responseTrailers ?? new HeaderMap());
      this.finish();
    }
  }

  private failClosed(plugin: PluginVm): void {
    if (this.responseStarted) {
      this.sinks.reset?.(`plugin ${plugin.name} failed`);
      this.abort(0, 'wasm_fail_stream');
      return;
    }
    this.runLocalReply(503, 'wasm_fail_stream', new Uint8Array(), [], true);
  }

  private runLocalReply(status: number, details: string, body: Uint8Array, headers: HeaderPairs, direct: boolean): void {
    if (this.finished) return;
    if (this.responseStarted) {
      this.sinks.reset?.(`local reply ${status} after the response started`);
      this.abort(0, details);
      return;
    }
    const fromResponsePhase = this.responseHeaders !== undefined && !this.localReply;
    this.requestEnded = true;
    this.responseInputIgnored = true;
    this.codeDetails = details;
    this.sinks.localReply?.(status, details);
    const hm = new HeaderMap(headers);
    hm.remove(':status');
    const out = new HeaderMap([[':status', String(status)], ...hm.pairs]);
    if (body.length > 0) {
      if (!out.has('content-type')) out.add('content-type', 'text/plain');
      out.replace('content-length', String(body.length));
    } else out.replace('content-length', '0');
    this.responseHeaders = out;
    this.responseTrailers = undefined;
    // A reply made while the response path already ran goes straight out, as Envoy does.
    if (direct || fromResponsePhase) {
      this.responseStarted = true;
      this.sinks.responseHeaders?.(out, body.length === 0);
      if (body.length > 0) {
        this.responseBodyBytes += body.length;
        this.sinks.responseData?.(body, true);
      }
      this.finish();
      return;
    }
    this.respStages = this.plugins.map((_, i) => new Stage('response', i, this.plugins.length - 1 - i));
    const stages = this.respStages;
    this.deliverLocal(stages, out, body);
  }

  private deliverLocal(stages: Stage[], _out: HeaderMap, body: Uint8Array): void {
    this.deliver(stages, 0, { k: 'headers', eos: body.length === 0 });
    if (body.length > 0) this.deliver(stages, 0, { k: 'data', data: body, eos: true });
  }

  /** on_log for every plugin in chain order, then on_done and on_delete. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.endNs = this.host.clock.nowNs();
    this.logPhase = true;
    for (let i = 0; i < this.plugins.length; i++) {
      // Envoy's access-log hook creates the context of a plugin that never saw the request.
      if (!this.contexts[i] && !this.plugins[i].failed) this.contexts[i] = this.plugins[i].createStreamContext(this, i);
      const ctx = this.contexts[i];
      if (ctx && !ctx.deleted) this.plugins[i].callVoid('proxy_on_log', ctx, ctx.id);
    }
    this.logPhase = false;
    for (let i = 0; i < this.plugins.length; i++) {
      const ctx = this.contexts[i];
      if (ctx && !ctx.deleted) this.plugins[i].destroyContext(ctx);
    }
    this.sinks.done?.();
  }

  // ---- StreamBinding: what host functions see ----------------------------------------------------

  headerMap(type: number, index: number): HeaderMap | undefined {
    const map = this.anyHeaderMap(type);
    if (!map || this.host.flavour !== 'upstream' || this.logPhase) return map;
    // Upstream Envoy (source/extensions/common/wasm/context.cc, decodeHeaders/encodeHeaders and
    // getConstMap): a filter holds a map only from its callback until it continues; request
    // headers stay readable through the stream info, everything else is gone. Higress's fork
    // keeps them.
    if (type === MapType.HttpRequestHeaders) return map;
    return this.liveMaps[index]?.has(type) ? map : undefined;
  }

  private anyHeaderMap(type: number): HeaderMap | undefined {
    switch (type) {
      case MapType.HttpRequestHeaders:
        return this.requestHeaders;
      case MapType.HttpRequestTrailers:
        return this.requestTrailers;
      case MapType.HttpResponseHeaders:
        return this.responseHeaders;
      case MapType.HttpResponseTrailers:
        return this.responseTrailers;
      default:
        return undefined;
    }
  }

  headerMapWritable(type: number, index: number): boolean {
    if (this.finished || this.logPhase) return false;
    if (this.host.flavour === 'upstream') return this.liveMaps[index]?.has(type) ?? false;
    if (type === MapType.HttpRequestHeaders || type === MapType.HttpRequestTrailers) return !this.requestEnded;
    if (type === MapType.HttpResponseHeaders) return !this.responseStarted;
    return type === MapType.HttpResponseTrailers;
  }

  bodyBuffer(index: number, type: number): { get(): Uint8Array; set(b: Uint8Array): void } | undefined {
    const stages = type === BufferType.HttpRequestBody ? this.reqStages : type === BufferType.HttpResponseBody ? this.respStages : undefined;
    if (!stages) return undefined;
    const st = stages.find((s) => s.plugin === index);
    if (!st) return undefined;
    return {
      get: () => st.current ?? st.buffer ?? new Uint8Array(),
      set: (b) => {
        if (st.current) st.current = b;
        else st.buffer = b;
      },
    };
  }

  continueStream(index: number, type: number): number {
    const stages = type === StreamType.HttpRequest ? this.reqStages : this.respStages;
    const st = stages.find((s) => s.plugin === index);
    if (!st) return Status.NotFound;
    if (st.inCallback) {
      st.continueRequested = true;
      return Status.Ok;
    }
    // Deferred like proxy-wasm-cpp-host's after-call actions: never re-enter the module.
    queueMicrotask(() => {
      if (this.finished || stages !== (type === StreamType.HttpRequest ? this.reqStages : this.respStages)) return;
      this.resume(stages, st);
    });
    return Status.Ok;
  }

  closeStream(_index: number, type: number): number {
    queueMicrotask(() => {
      if (this.finished) return;
      this.sinks.reset?.(`closed by plugin (${type === StreamType.HttpRequest ? 'request' : 'response'})`);
      this.abort(0x8 /* LR */, 'wasm_close_stream');
    });
    return Status.Ok;
  }

  sendLocalResponse(index: number, status: number, details: string, body: Uint8Array, headers: HeaderPairs, grpcStatus: number): number {
    if (this.responseStarted || this.localReply) return Status.BadArgument;
    this.localReply = { plugin: this.plugins[index].name, status, details, body, headers, grpcStatus };
    const fromResponse = this.responseHeaders !== undefined;
    this.requestEnded = true;
    this.responseInputIgnored = true;
    queueMicrotask(() => this.runLocalReply(status, details, body, headers, fromResponse));
    return Status.Ok;
  }

  setProperty(path: string, value: Uint8Array): number {
    // Envoy stores plugin-written properties as filter state under "wasm.<path>".
    this.filterState.set(`wasm.${path}`, value);
    return Status.Ok;
  }

  getProperty(segments: readonly string[]): Uint8Array | undefined {
    const top = segments[0];
    const sub = segments[1] as string | undefined;
    if (top === 'filter_state') {
      if (sub === undefined) return serializePairs([...this.filterState.entries()]);
      return segments.length === 2 ? this.filterState.get(sub) : undefined;
    }
    if (MAP_PROPERTIES.has(top)) {
      const rest = segments.length - 2;
      if (sub === undefined) return this.mapProperty(top);
      if ((top === 'request' && sub === 'headers') || (top === 'response' && (sub === 'headers' || sub === 'trailers'))) {
        const map = top === 'request' ? this.requestHeaders : sub === 'headers' ? this.responseHeaders : this.responseTrailers;
        if (!map) return undefined;
        if (rest === 0) return serializeFields(Object.entries(map.toObject()));
        if (rest === 1) {
          const v = map.getAll(segments[2]);
          return v.length ? fieldBytes(v.join(',')) : undefined;
        }
        return undefined;
      }
      if (rest > 0) return undefined;
      return this.scalar(`${top}.${sub}`);
    }
    if (sub === undefined) {
      const v = this.scalar(top);
      if (v !== undefined) return v;
      return this.filterState.get(`wasm.${top}`);
    }
    return this.override(segments.join('.'));
  }

  private mapProperty(top: string): Uint8Array {
    const keys = new Set<string>();
    for (const k of this.props.keys()) if (k.startsWith(`${top}.`)) keys.add(k.slice(top.length + 1));
    for (const k of DYNAMIC[top] ?? []) keys.add(k);
    const pairs: Array<[string, Uint8Array]> = [];
    for (const k of keys) {
      const v = this.getProperty([top, k]);
      if (v !== undefined) pairs.push([k, v]);
    }
    return serializePairs(pairs);
  }

  /** A scalar property: an override if set, else derived from the exchange so far. */
  private override(path: string): Uint8Array | undefined {
    let e = this.encoded.get(path);
    if (e !== undefined) return e;
    const raw = this.props.get(path);
    if (raw === undefined) return undefined;
    e = encodeProperty(path, raw, this.host.flavour);
    this.encoded.set(path, e);
    return e;
  }

  private scalar(path: string): Uint8Array | undefined {
    const o = this.override(path);
    if (o !== undefined) return o;
    const h = this.requestHeaders;
    // Values taken from headers keep their bytes; the rest are ASCII.
    const s = (v: string | undefined) => (v === undefined ? undefined : fieldBytes(v));
    const i64 = (n: number | bigint) => encodeTyped({ type: 'int64', value: n });
    switch (path) {
      case 'request.path':
        return s(h.get(':path'));
      case 'request.url_path': {
        const pathHdr = h.get(':path');
        return pathHdr === undefined ? undefined : s(pathHdr.split('?')[0]);
      }
      case 'request.query': {
        const pathHdr = h.get(':path');
        if (pathHdr === undefined) return undefined;
        const q = pathHdr.indexOf('?');
        return s(q < 0 ? '' : pathHdr.slice(q + 1));
      }
      case 'request.host':
        return s(h.get(':authority') ?? h.get('host'));
      case 'request.scheme':
        return s(h.get(':scheme') ?? 'http');
      case 'request.method':
        return s(h.get(':method'));
      case 'request.referer':
        return s(h.get('referer'));
      case 'request.useragent':
        return s(h.get('user-agent'));
      case 'request.id':
        return s(h.get('x-request-id'));
      case 'request.protocol':
        return s(this.protocol);
      case 'request.time':
        return encodeTyped({ type: this.timeTypes[0], value: this.startNs });
      case 'request.duration':
        // StreamInfo::requestComplete(): known once the whole exchange ended (so in on_log).
        return this.endNs !== undefined ? encodeTyped({ type: this.timeTypes[1], value: this.endNs - this.startNs }) : undefined;
      case 'request.size': {
        // Envoy's CEL: the content-length header when present, else the body bytes received.
        const cl = h.get('content-length');
        return i64(cl !== undefined && /^\d+$/.test(cl) ? Number(cl) : this.requestBodyBytes);
      }
      case 'request.total_size':
        return i64(this.requestBodyBytes + h.byteSize());
      case 'response.code': {
        const c = this.responseHeaders?.get(':status');
        return c === undefined ? undefined : i64(Number(c));
      }
      case 'response.code_details':
        return this.responseHeaders ? s(this.codeDetails ?? 'via_upstream') : s(this.codeDetails);
      case 'response.flags':
        return encodeTyped({ type: 'uint64', value: this.responseFlags });
      case 'response.size':
        return this.responseHeaders ? i64(this.responseBodyBytes) : undefined;
      case 'response.total_size':
        return this.responseHeaders ? i64(this.responseBodyBytes + this.responseHeaders.byteSize() + (this.responseTrailers?.byteSize() ?? 0)) : undefined;
      case 'response.grpc_status': {
        const g = this.responseTrailers?.get('grpc-status') ?? this.responseHeaders?.get('grpc-status');
        return g === undefined ? undefined : i64(Number(g));
      }
      default:
        return undefined;
    }
  }
}

const DYNAMIC: Record<string, string[]> = {
  request: ['path', 'url_path', 'host', 'scheme', 'method', 'headers', 'referer', 'useragent', 'time', 'id', 'protocol', 'query', 'duration', 'size', 'total_size'],
  response: ['code', 'code_details', 'flags', 'grpc_status', 'headers', 'trailers', 'size', 'total_size'],
};
