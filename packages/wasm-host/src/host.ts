// The host: loads plugins into V8's WebAssembly, owns what Envoy shares between them (clusters
// for http calls, shared data and queues, the clock, node identity), and drives streams through
// the chain. This is also the programmatic test API (see README "Test API").

import { readFile } from 'node:fs/promises';
import { lookup } from 'node:dns/promises';
import http from 'node:http';
import { isIP } from 'node:net';
import { basename } from 'node:path';
import { LogLevel, type LogLevelName, Status } from './abi.js';
import { type Clock, ManualClock, RealClock } from './clock.js';
import { HeaderMap, type HeaderPairs, type HeadersInit } from './header-map.js';
import { type HttpCallOutcome, type HttpCallReply, type HttpCallRequest, replyToOutcome, sendHttpCall } from './http-call.js';
import { PluginVm } from './vm/plugin-vm.js';
import type { HostedVm, VmHost } from './vm/host-api.js';
import type { Context, HttpCallRecord, LogEntry, MetricSnapshot, PluginOptions } from './vm/types.js';
import type { PropertyInput } from './properties/encode.js';
import { type Flavour, FLAVOURS } from './properties/tables.js';
import type { JsonValue } from './protobuf.js';
import { type ActionRecord, HttpStream, type LocalReplyRecord, type StreamSinks } from './stream.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

export interface HostOptions {
  /** Cluster name -> base URL, e.g. {'outbound|80||svc.ns.svc.cluster.local': 'http://127.0.0.1:8080'}. */
  clusters?: Record<string, string>;
  /** `node.id`. */
  nodeId?: string;
  /** `node.cluster`. */
  nodeCluster?: string;
  /** `node.metadata` (e.g. {POD_NAME: 'gw-1'}). */
  nodeMetadata?: Record<string, JsonValue>;
  /** 'manual' (default for tests: time moves only with host.advance()), 'real', or a Clock. */
  clock?: 'manual' | 'real' | Clock;
  /**
   * Answers http calls instead of the network. Return undefined to let the call go out for real;
   * return {status, headers, body, delayMs}, {timeout: true}, {reset: true} or {connectionFailure: true}.
   */
  httpCallHandler?: (call: HttpCallRecord) => HttpCallReply | undefined | Promise<HttpCallReply | undefined>;
  /** What a trapped plugin does to requests: skip it (true) or fail them with 503 (false, Envoy's default). */
  failOpen?: boolean;
  /** Level reported by proxy_get_log_level (default 'trace': plugins log everything). */
  logLevel?: LogLevelName;
  /**
   * VMs per plugin, one per worker as Envoy runs one per worker thread (`--concurrency`);
   * default 1 here, so that host.plugins is the one VM a test drives.
   */
  concurrency?: number;
  /** Which Envoy the host plays: Higress's fork (default) or upstream Envoy 1.33+ (properties/tables.ts). */
  flavour?: Flavour;
  /** Called for every plugin log line. */
  onLog?: (entry: LogEntry) => void;
  /** Called when a plugin traps. */
  onTrap?: (plugin: PluginVm, where: string, message: string) => void;
  /** Called as a plugin callback starts (with its name) and ends (undefined): the watchdog's probe. */
  onCallback?: (plugin: PluginVm, callback: string | undefined) => void;
}

/** A body chunk; endOfStream defaults to true on the last chunk when no trailers follow. */
export type BodyChunk = string | Uint8Array | { data: string | Uint8Array; endOfStream?: boolean };
export type BodyInput = BodyChunk | BodyChunk[];

export interface RunStreamOptions {
  /** Chain to run; defaults to every loaded plugin in load order. */
  plugins?: PluginVm[];
  request: { headers: HeadersInit; body?: BodyInput; trailers?: HeadersInit };
  /** The upstream's answer (default 200 with no body); not used when a plugin replies locally. */
  response?: { headers?: HeadersInit; body?: BodyInput; trailers?: HeadersInit };
  /** Property overrides by dotted path; `wasm.*` keys preset filter state. */
  properties?: Record<string, PropertyInput>;
  filterState?: Record<string, string | Uint8Array>;
  /**
   * When a plugin pauses and nothing is in flight that could resume it, runStream throws (default).
   * Set to wait instead, e.g. when the test resumes it by advancing the clock.
   */
  waitWhenStalled?: boolean;
}

export interface MessageSeen {
  headers: Record<string, string>;
  headerPairs: HeaderPairs;
  body: string;
  bodyBytes: Uint8Array;
  bodyChunks: Uint8Array[];
  trailers?: Record<string, string>;
}

export interface StreamResult {
  /** What reached the upstream (undefined when a plugin answered before the request completed). */
  upstreamRequest?: MessageSeen;
  /** What the client received. */
  response: MessageSeen & { status: number };
  localResponse?: LocalReplyRecord;
  actions: ActionRecord[];
  filterState: Record<string, string>;
  stream: HttpStream;
}

interface Queue {
  id: number;
  vmId: string;
  name: string;
  owner: HostedVm;
  items: Uint8Array[];
}

const MAX_QUEUE_ITEMS = 10_000;

export class WasmHost implements VmHost {
  readonly clock: Clock;
  /** Worker 0's chain: the VMs the test API drives. */
  readonly plugins: PluginVm[] = [];
  /** Every worker's chain (workers[0] is plugins). */
  readonly workers: PluginVm[][];
  private readonly stats = new Map<string, MetricSnapshot>();
  readonly clusters: Map<string, string>;
  readonly nodeId: string;
  readonly nodeCluster: string;
  readonly nodeMetadata: Record<string, JsonValue>;
  readonly failOpen: boolean;
  readonly logLevel: number;
  readonly flavour: Flavour;
  readonly sharedData = new Map<string, { value: Uint8Array; cas: number }>();
  private cas = 1;
  private queues = new Map<number, Queue>();
  private nextQueueId = 1;
  private nextToken = 1;
  private inflight = new Set<Promise<void>>();
  private closed = false;
  private agent: http.Agent | undefined;
  private readonly resolving = new Map<string, Promise<void>>();
  private readonly hostsOf = new Map<string, boolean>();

  constructor(readonly options: HostOptions = {}) {
    const c = options.clock ?? 'manual';
    this.clock = c === 'manual' ? new ManualClock() : c === 'real' ? new RealClock() : c;
    this.clusters = new Map(Object.entries(options.clusters ?? {}));
    for (const url of this.clusters.values()) this.resolve(url);
    this.nodeId = options.nodeId ?? '';
    this.nodeCluster = options.nodeCluster ?? '';
    this.nodeMetadata = options.nodeMetadata ?? {};
    this.failOpen = options.failOpen ?? false;
    this.logLevel = LogLevel[options.logLevel ?? 'trace'];
    this.flavour = options.flavour ?? 'higress';
    const n = options.concurrency ?? 1;
    if (!Number.isInteger(n) || n < 1 || n > 64) throw new Error(`concurrency must be an integer from 1 to 64, got ${n}`);
    this.workers = [this.plugins, ...Array.from({ length: n - 1 }, () => [] as PluginVm[])];
    if (!FLAVOURS.includes(this.flavour)) throw new Error(`unknown flavour ${this.flavour}: one of ${FLAVOURS.join(', ')}`);
  }

  /** Moves a manual clock forward, firing ticks that fall due. */
  advance(ms: number): number {
    if (!(this.clock instanceof ManualClock)) throw new Error('advance() needs the manual clock');
    return this.clock.advance(ms);
  }

  /**
   * Loads a plugin as Envoy does: first a canary VM that starts and configures it and is then
   * destroyed (cpp-host's WasmHandleBase::canary), then one VM per worker, each with its own
   * memory and root context, appended to every worker's chain. Throws PluginLoadError (with
   * the plugin's logs) if the canary rejects it. Returns worker 0's VM.
   */
  async loadPlugin(opts: PluginOptions): Promise<PluginVm> {
    const bytes = typeof opts.wasm === 'string' ? await readFile(opts.wasm) : opts.wasm;
    const dflt = typeof opts.wasm === 'string' ? basename(opts.wasm).replace(/\.wasm$/, '') : `plugin-${this.plugins.length + 1}`;
    const canary = new PluginVm(this, opts, dflt);
    canary.worker = -1;
    canary.chainIndex = this.plugins.length;
    try {
      await canary.load(bytes);
    } finally {
      canary.kill();
    }
    const vms: PluginVm[] = [];
    try {
      for (const [w, chain] of this.workers.entries()) {
        const vm = new PluginVm(this, opts, dflt);
        vm.worker = w;
        vm.chainIndex = chain.length;
        await vm.load(bytes);
        vms.push(vm);
      }
    } catch (e) {
      for (const vm of vms) vm.kill();
      throw e;
    }
    for (const [w, chain] of this.workers.entries()) chain.push(vms[w]);
    return vms[0];
  }

  /** The VMs of one plugin, by chain index, across workers. */
  vmsOf(chainIndex: number): PluginVm[] {
    return this.workers.map((c) => c[chainIndex]).filter((v): v is PluginVm => v !== undefined);
  }

  /** A metric of Envoy's shared stats store: one per plugin and name, whichever VM defines it. */
  stat(plugin: string, name: string, type: MetricSnapshot['type']): MetricSnapshot {
    const key = `${plugin}\0${type}\0${name}`;
    let m = this.stats.get(key);
    if (!m) {
      m = { name, type, value: 0, samples: [] };
      this.stats.set(key, m);
    }
    return m;
  }

  statsSnapshot(plugin: string): Record<string, MetricSnapshot> {
    const out: Record<string, MetricSnapshot> = {};
    for (const [k, m] of this.stats) if (k.startsWith(`${plugin}\0`)) out[m.name] = { ...m, samples: m.samples.slice() };
    return out;
  }

  setCluster(name: string, url: string): void {
    this.clusters.set(name, url);
    this.resolve(url);
  }

  /**
   * Resolves a cluster's host name in the background, as Envoy's STRICT_DNS cluster does: while
   * the name resolves to nothing the cluster has no host, and a call to it fails inline.
   */
  private resolve(url: string): void {
    let host: string;
    try {
      host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      this.hostsOf.set(url, false);
      return;
    }
    if (!host || isIP(host) || this.resolving.has(url)) return;
    this.resolving.set(url, lookup(host).then(() => void this.hostsOf.set(url, true), () => void this.hostsOf.set(url, false)));
  }

  /** Resolves once every cluster's host name has been looked up. */
  async clustersResolved(): Promise<void> {
    await Promise.all(this.resolving.values());
  }

  /** A cluster with no healthy host: no address, or a name that resolved to nothing. */
  private noHealthyHost(cluster: string): boolean {
    const url = this.clusters.get(cluster);
    return !url || this.hostsOf.get(url) === false;
  }

  /**
   * Unknown clusters are BadArgument, as in Envoy. With an http-call handler and no clusters at
   * all, every cluster name is accepted so a test can answer calls without declaring them.
   */
  hasCluster(name: string): boolean {
    return this.clusters.has(name) || (!!this.options.httpCallHandler && this.clusters.size === 0);
  }

  // ---- streams ---------------------------------------------------------------------------------

  /** A stream for step-by-step driving (the gateway uses this); see HttpStream. */
  openStream(
    init: { requestHeaders: HeadersInit | HeaderMap; properties?: Record<string, PropertyInput>; filterState?: Record<string, string | Uint8Array>; plugins?: PluginVm[]; protocol?: string },
    sinks: StreamSinks,
  ): HttpStream {
    const headers = init.requestHeaders instanceof HeaderMap ? init.requestHeaders : new HeaderMap(init.requestHeaders);
    return new HttpStream(this, init.plugins ?? this.plugins, { requestHeaders: headers, properties: init.properties, filterState: init.filterState, protocol: init.protocol }, sinks);
  }

  /** Runs one request/response exchange through the chain and reports what every side saw. */
  async runStream(opts: RunStreamOptions): Promise<StreamResult> {
    const up = newSeen();
    const down = newSeen();
    let upstreamDone = false;
    let upstreamStarted = false;
    const stream = this.openStream(
      { requestHeaders: opts.request.headers, properties: opts.properties, filterState: opts.filterState, plugins: opts.plugins },
      {
        requestHeaders: (h, eos) => {
          upstreamStarted = true;
          up.headerPairs = h.pairs.map(([k, v]) => [k, v]);
          if (eos) upstreamDone = true;
        },
        requestData: (c, eos) => {
          up.bodyChunks.push(c);
          if (eos) upstreamDone = true;
        },
        requestTrailers: (t) => {
          up.trailers = t.toObject();
          upstreamDone = true;
        },
        responseHeaders: (h) => {
          down.headerPairs = h.pairs.map(([k, v]) => [k, v]);
        },
        responseData: (c) => {
          down.bodyChunks.push(c);
        },
        responseTrailers: (t) => {
          down.trailers = t.toObject();
        },
      },
    );
    const reqTrailers = opts.request.trailers ? new HeaderMap(opts.request.trailers) : undefined;
    const reqChunks = toChunks(opts.request.body, !reqTrailers);
    stream.startRequest(reqChunks.length === 0 && !reqTrailers);
    for (const c of reqChunks) stream.requestData(c.data, c.eos);
    if (reqTrailers) stream.requestTrailersIn(reqTrailers);
    await this.waitFor(() => upstreamDone || stream.finished, stream, 'the request never reached the upstream', opts.waitWhenStalled);
    if (!stream.finished) {
      const r = opts.response ?? {};
      const rh = new HeaderMap(r.headers ?? { ':status': '200' });
      if (!rh.has(':status')) rh.pairs.unshift([':status', '200']);
      const trailers = r.trailers ? new HeaderMap(r.trailers) : undefined;
      const chunks = toChunks(r.body, !trailers);
      stream.startResponse(rh, chunks.length === 0 && !trailers);
      for (const c of chunks) stream.responseData(c.data, c.eos);
      if (trailers) stream.responseTrailersIn(trailers);
      await this.waitFor(() => stream.finished, stream, 'the response never reached the client', opts.waitWhenStalled);
    }
    finishSeen(up);
    finishSeen(down);
    const filterState: Record<string, string> = {};
    for (const [k, v] of stream.filterState) filterState[k] = dec.decode(v);
    return {
      upstreamRequest: upstreamStarted ? up : undefined,
      response: { ...down, status: Number(down.headers[':status'] ?? 0) },
      localResponse: stream.localReply,
      actions: stream.actions,
      filterState,
      stream,
    };
  }

  private async waitFor(cond: () => boolean, stream: HttpStream, what: string, wait?: boolean): Promise<void> {
    for (;;) {
      if (cond()) return;
      await new Promise((r) => setImmediate(r));
      if (cond()) return;
      if (this.inflight.size > 0) {
        await Promise.race([...this.inflight]);
        continue;
      }
      if (wait) {
        await new Promise((r) => setTimeout(r, 5));
        continue;
      }
      const paused = stream.actions.filter((a) => a.action === 'pause').map((a) => `${a.plugin}:${a.callback}`);
      throw new Error(`stream stalled: ${what}; a plugin paused (${paused.join(', ') || 'none'}) and nothing in flight can resume it`);
    }
  }

  // ---- http calls ------------------------------------------------------------------------------

  /**
   * Starts a call owned by a root context and returns its token, or the status Envoy returns
   * when its async client fails inline (Context::httpCall in Envoy's
   * source/extensions/common/wasm/context.cc: send() returning null is InternalFailure, and no
   * callback follows): a cluster with no endpoint, or a handler answering {noHealthyUpstream}.
   */
  dispatchHttpCall(vm: HostedVm, root: Context, req: HttpCallRequest): number | { status: number } {
    const hm = new HeaderMap(req.headers);
    const record: HttpCallRecord = {
      plugin: vm.name,
      token: 0,
      contextId: root.id,
      cluster: req.cluster,
      headers: hm.toObject(),
      headerPairs: req.headers,
      body: dec.decode(req.body),
      bodyBytes: req.body,
      trailers: req.trailers,
      timeoutMs: req.timeoutMs,
    };
    const answer = this.options.httpCallHandler?.(record);
    const inline = answer !== undefined && !(answer instanceof Promise) ? answer : undefined;
    if ((inline && 'noHealthyUpstream' in inline) || (!this.options.httpCallHandler && this.noHealthyHost(req.cluster))) {
      record.outcome = { failure: 'no healthy upstream', delivered: false };
      vm.httpCalls.push(record);
      return { status: Status.InternalFailure };
    }
    const token = this.nextToken++;
    record.token = token;
    vm.httpCalls.push(record);
    if (vm.httpCalls.length > 10_000) vm.httpCalls.shift();
    const ac = new AbortController();
    root.calls.set(token, ac);
    const run = async (): Promise<void> => {
      let outcome: HttpCallOutcome;
      const reply = await answer;
      if (reply && 'noHealthyUpstream' in reply) {
        outcome = replyToOutcome({ connectionFailure: true });
      } else if (reply) {
        if (reply.delayMs) await abortableSleep(reply.delayMs, ac.signal);
        outcome = replyToOutcome(reply);
      } else {
        const base = this.clusters.get(req.cluster);
        this.agent ??= new http.Agent({ keepAlive: true, maxSockets: 64 });
        outcome = base ? await sendHttpCall(base, req, ac.signal, this.agent) : { kind: 'failure', reason: 'unknown cluster' };
      }
      if (ac.signal.aborted) {
        record.outcome = { failure: 'cancelled', delivered: false };
        return;
      }
      root.calls.delete(token);
      const delivered = !root.deleted && !vm.failed;
      record.outcome = outcome.kind === 'response'
        ? { status: outcome.status, headers: new HeaderMap(outcome.headers).toObject(), body: dec.decode(outcome.body), delivered }
        : { failure: outcome.reason, delivered };
      vm.deliverHttpCallResponse(root, token, outcome);
    };
    const p = run().catch((e) => vm.log('error', `http call ${token} to ${req.cluster} failed in the host: ${(e as Error).message}`));
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return token;
  }

  /** Resolves once no http call is in flight (responses delivered, or cancelled). */
  async idle(): Promise<void> {
    for (;;) {
      await new Promise((r) => setImmediate(r));
      if (this.inflight.size === 0) return;
      await Promise.allSettled([...this.inflight]);
    }
  }

  // ---- shared data and queues ---------------------------------------------------------------------

  nextCas(): number {
    this.cas = (this.cas % 0xfffffffe) + 1;
    return this.cas;
  }

  registerQueue(vm: HostedVm, vmId: string, name: string): number {
    for (const q of this.queues.values()) {
      if (q.vmId !== vmId || q.name !== name) continue;
      // A queue registered by a VM since destroyed (the canary) goes to the next VM registering it.
      if (q.owner.failed) q.owner = vm;
      return q.id;
    }
    const id = this.nextQueueId++;
    this.queues.set(id, { id, vmId, name, owner: vm, items: [] });
    return id;
  }

  resolveQueue(vmId: string, name: string): number | undefined {
    for (const q of this.queues.values()) if (q.vmId === vmId && q.name === name) return q.id;
    return undefined;
  }

  enqueue(id: number, value: Uint8Array): number {
    const q = this.queues.get(id);
    if (!q) return Status.NotFound;
    if (q.items.length >= MAX_QUEUE_ITEMS) q.items.shift();
    q.items.push(value);
    queueMicrotask(() => q.owner.queueReady(id));
    return Status.Ok;
  }

  dequeue(id: number): Uint8Array | number {
    const q = this.queues.get(id);
    if (!q) return Status.NotFound;
    const v = q.items.shift();
    return v ?? Status.Empty;
  }

  // ---- events ----------------------------------------------------------------------------------

  emitLog(entry: LogEntry): void {
    this.options.onLog?.(entry);
  }

  emitTrap(vm: HostedVm, where: string, message: string): void {
    this.options.onTrap?.(vm as PluginVm, where, message);
  }

  probe(vm: HostedVm, callback: string | undefined): void {
    this.options.onCallback?.(vm as PluginVm, callback);
  }

  /**
   * Shuts every VM down as Envoy does (see PluginVm.shutdown): on_done, waiting for proxy_done
   * up to deadlineMs when a plugin answers false, on_delete; calls still in flight are cancelled.
   */
  async close(deadlineMs = 2000): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.workers.flat().map((p) => p.shutdown(deadlineMs)));
    await this.idle();
    this.agent?.destroy();
  }
}

function newSeen(): MessageSeen {
  return { headers: {}, headerPairs: [], body: '', bodyBytes: new Uint8Array(), bodyChunks: [] };
}

function finishSeen(s: MessageSeen): void {
  s.headers = new HeaderMap(s.headerPairs).toObject();
  s.bodyBytes = Buffer.concat(s.bodyChunks);
  s.body = dec.decode(s.bodyBytes);
}

function toChunks(b: BodyInput | undefined, lastEnds: boolean): Array<{ data: Uint8Array; eos: boolean }> {
  if (b === undefined) return [];
  const arr = Array.isArray(b) ? b : [b];
  const out = arr.map((c, i) => {
    const explicit = typeof c === 'object' && !(c instanceof Uint8Array) ? c : undefined;
    const raw = explicit ? explicit.data : (c as string | Uint8Array);
    const data = typeof raw === 'string' ? enc.encode(raw) : raw;
    return { data, eos: explicit?.endOfStream ?? (lastEnds && i === arr.length - 1), explicit: !!explicit };
  });
  // A lone empty body means "no body" unless the test spelled out its flags.
  if (out.length === 1 && out[0].data.length === 0 && !out[0].explicit) return [];
  return out.map(({ data, eos }) => ({ data, eos }));
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });
}
