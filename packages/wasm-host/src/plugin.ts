import "./webassembly-types.js";
// One loaded proxy-wasm plugin: its module instance (the "VM"), root context, stream contexts and
// every host function of the ABI, with Envoy's semantics where the spec leaves room.

import { performance } from 'node:perf_hooks';
import {
  type AbiVersion,
  BufferType,
  LOG_LEVEL_NAMES,
  type LogLevelName,
  MapType,
  MetricType,
  Status,
  StreamType,
} from './abi.js';
import type { Timer } from './clock.js';
import { deserializeFields, fieldBytes, HeaderMap, type HeaderPairs, serializeFields, serializePairs } from './header-map.js';
import type { HttpCallOutcome } from './http-call.js';
import { GuestMemory, MemoryAccessError } from './memory.js';
import { ProcExit, wasiImports } from './wasi.js';
import { encodeNode, type JsonValue } from './protobuf.js';
import { canonicalPath } from './properties/tables.js';
import { envoyImport } from './loader/envoy-imports.js';
import { type ImportInfo, readImports, sameSig, sigToString } from './loader/module-info.js';
import type { WasmHost } from './host.js';

const enc = new TextEncoder();

export interface LogEntry {
  plugin: string;
  level: LogLevelName;
  message: string;
  contextId: number;
  /** Host time in ms since the epoch (the host's clock). */
  time: number;
}

export interface MetricSnapshot {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter and gauge value; for a histogram the number of samples. */
  value: number;
  /** Histogram samples (the most recent 10,000). */
  samples: number[];
}

export interface HttpCallRecord {
  plugin: string;
  token: number;
  contextId: number;
  cluster: string;
  headers: Record<string, string>;
  headerPairs: HeaderPairs;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
  /** Filled when the call settles. */
  outcome?:
    | { status: number; headers: Record<string, string>; body: string; delivered: boolean }
    | { failure: string; delivered: boolean };
}

/** What a stream offers its plugins' contexts; implemented by HttpStream. */
export interface StreamBinding {
  /** The map a plugin's context sees now (undefined: not available to it). */
  headerMap(type: number, index: number): HeaderMap | undefined;
  headerMapWritable(type: number, index: number): boolean;
  readonly filterState: Map<string, Uint8Array>;
  bodyBuffer(index: number, type: number): { get(): Uint8Array; set(b: Uint8Array): void } | undefined;
  getProperty(segments: string[], plugin: PluginVm): Uint8Array | undefined;
  setProperty(path: string, value: Uint8Array): number;
  continueStream(index: number, stream: number): number;
  closeStream(index: number, stream: number): number;
  sendLocalResponse(index: number, status: number, details: string, body: Uint8Array, headers: HeaderPairs, grpcStatus: number): number;
}

export interface Context {
  id: number;
  /** undefined for a root context */
  rootId?: number;
  stream?: StreamBinding;
  index: number;
  calls: Map<number, AbortController>;
  deleted: boolean;
  tick?: Timer;
  /** Root context that answered proxy_on_done with false and waits for proxy_done. */
  pendingDone?: () => void;
}

export interface PluginOptions {
  /** Module bytes, or a path to a .wasm file. */
  wasm: Uint8Array | string;
  /** Plugin configuration; objects are serialized as JSON. */
  configuration?: string | Uint8Array | object;
  vmConfiguration?: string | Uint8Array | object;
  /** plugin_name property; defaults to the file name or "plugin-N". */
  name?: string;
  rootId?: string;
  vmId?: string;
  /** Environment variables visible through WASI environ_get. */
  env?: Record<string, string>;
  /** Override the host's failure policy for this plugin. */
  failOpen?: boolean;
}

export class PluginLoadError extends Error {
  constructor(message: string, readonly logs: LogEntry[] = []) {
    super(logs.length ? `${message}\n${logs.map((l) => `  [${l.level}] ${l.message}`).join('\n')}` : message);
    this.name = 'PluginLoadError';
  }
}

/** A host function called while the module starts that Envoy does not answer then. */
export class RestrictedCall extends Error {
  constructor(readonly fn: string) {
    super(`Function: ${fn} failed: not allowed while the module starts (_initialize/main/_start)`);
  }
}

export function toBytes(v: string | Uint8Array | object | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array();
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return enc.encode(v);
  return enc.encode(JSON.stringify(v));
}

const SLOW_CALLBACK_MS = 100;

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export class PluginVm {
  readonly name: string;
  readonly rootIdName: string;
  readonly vmId: string;
  abi!: AbiVersion;
  readonly logs: LogEntry[] = [];
  readonly httpCalls: HttpCallRecord[] = [];
  failed = false;
  failOpen: boolean;
  readonly configuration: Uint8Array;
  readonly vmConfiguration: Uint8Array;
  rootContext!: Context;
  private instance!: WebAssembly.Instance;
  private exports!: Record<string, Fn | WebAssembly.Memory>;
  mem!: GuestMemory;
  private contexts = new Map<number, Context>();
  private nextContextId = 1;
  private effective: Context | undefined;
  private inConfigure: 'vm' | 'plugin' | undefined;
  private starting = false;
  private callResponse: { outcome: HttpCallOutcome } | undefined;
  private callStatus: { code: number; message: string } = { code: 0, message: '' };
  private metrics = new Map<number, MetricSnapshot>();
  private metricIds = new Map<string, number>();
  private nextMetricSeq = 1;
  private unimplementedLogged = new Set<string>();
  private readonly env: Record<string, string>;
  private maxLogs = 10_000;

  constructor(readonly host: WasmHost, opts: PluginOptions, defaultName: string) {
    this.name = opts.name ?? defaultName;
    this.rootIdName = opts.rootId ?? '';
    this.vmId = opts.vmId ?? '';
    this.configuration = toBytes(opts.configuration);
    this.vmConfiguration = toBytes(opts.vmConfiguration);
    this.env = opts.env ?? {};
    this.failOpen = opts.failOpen ?? host.failOpen;
  }

  // ---- logging -------------------------------------------------------------------------------

  log(level: LogLevelName, message: string, contextId = this.effective?.id ?? 0): void {
    const entry: LogEntry = { plugin: this.name, level, message, contextId, time: Number(this.host.clock.nowNs() / 1_000_000n) };
    this.logs.push(entry);
    if (this.logs.length > this.maxLogs) this.logs.splice(0, this.logs.length - this.maxLogs);
    this.host.emitLog(entry);
  }

  private unimplemented(name: string): number {
    if (!this.unimplementedLogged.has(name)) {
      this.unimplementedLogged.add(name);
      this.log('warn', `host function ${name} is not implemented by this host; returning Unimplemented`, 0);
    }
    return Status.Unimplemented;
  }

  // ---- loading -------------------------------------------------------------------------------

  async load(bytes: Uint8Array): Promise<void> {
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(bytes);
    } catch (e) {
      throw new PluginLoadError(`Failed to compile Wasm module ${this.name}: ${(e as Error).message}`);
    }
    const exportNames = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
    if (exportNames.has('proxy_abi_version_0_2_1')) this.abi = '0.2.1';
    else if (exportNames.has('proxy_abi_version_0_2_0')) this.abi = '0.2.0';
    else if (exportNames.has('proxy_abi_version_0_1_0')) this.abi = '0.1.0';
    else throw new PluginLoadError(`Wasm module ${this.name} is missing or using an unsupported Proxy-Wasm ABI version (no proxy_abi_version_* export)`);

    let declared: ImportInfo[];
    try {
      declared = readImports(bytes);
    } catch (e) {
      throw new PluginLoadError(`Failed to parse corrupted Wasm module ${this.name}: ${(e as Error).message}`);
    }
    const env = this.envImports();
    const wasi = wasiImports({ mem: () => this.mem, log: (level, msg) => this.log(level, msg), env: this.env, clock: this.host.clock });
    const imports: WebAssembly.Imports = {};
    let importedMemory: WebAssembly.Memory | undefined;
    // Linking as proxy-wasm-cpp-host's V8 runtime links (src/v8/v8.cc link()): a function
    // Envoy does not export, or exports with another signature, refuses the module; an
    // imported memory or table is created with the module's own limits; globals are refused.
    for (const imp of declared) {
      const slot = (imports[imp.module] ??= {}) as Record<string, unknown>;
      if (imp.kind === 'memory') {
        importedMemory = new WebAssembly.Memory({ initial: imp.initial, maximum: imp.maximum, shared: imp.shared });
        slot[imp.name] = importedMemory;
        continue;
      }
      if (imp.kind === 'table') {
        slot[imp.name] = new WebAssembly.Table({ element: imp.element === 'externref' ? 'externref' : 'anyfunc', initial: imp.initial, maximum: imp.maximum });
        continue;
      }
      const known = imp.kind === 'function' ? envoyImport(imp.module, imp.name, this.abi) : undefined;
      if (!known || imp.kind !== 'function') {
        throw new PluginLoadError(`Failed to load Wasm module ${this.name} due to a missing import: ${imp.module}.${imp.name}`);
      }
      if (!sameSig(imp.sig, known.sig)) {
        throw new PluginLoadError(`Failed to load Wasm module ${this.name} due to an import type mismatch for function ${imp.module}.${imp.name}, want: ${sigToString(imp.sig)}, but host exports: ${sigToString(known.sig)}`);
      }
      const key = `${imp.module}.${imp.name}`;
      const impl: Fn = (imp.module === 'env' ? env[imp.name] : wasi[imp.name]) ?? (() => this.unimplemented(imp.name));
      // WasmBase::startVm: only the restricted set answers while the module starts.
      slot[imp.name] = known.start ? impl : (...args: unknown[]) => {
        if (this.starting) throw new RestrictedCall(key);
        return impl(...args);
      };
    }
    try {
      this.instance = await WebAssembly.instantiate(module, imports);
    } catch (e) {
      throw new PluginLoadError(`Failed to instantiate Wasm module ${this.name}: ${(e as Error).message}`, this.logs.slice());
    }
    this.exports = this.instance.exports as Record<string, Fn | WebAssembly.Memory>;
    const memory = this.exports.memory instanceof WebAssembly.Memory ? this.exports.memory : importedMemory;
    if (!memory) throw new PluginLoadError(`Wasm module ${this.name} has no memory`);
    // WasmBase::getFunctions: malloc first, then proxy_on_memory_allocate.
    const allocName = typeof this.exports.malloc === 'function' ? 'malloc' : typeof this.exports.proxy_on_memory_allocate === 'function' ? 'proxy_on_memory_allocate' : undefined;
    if (!allocName) throw new PluginLoadError(`Wasm module ${this.name} is missing malloc function (neither malloc nor proxy_on_memory_allocate is exported)`);
    const alloc = this.exports[allocName] as Fn;
    this.mem = new GuestMemory(() => memory, (n) => Number(alloc(n)) >>> 0);

    // Module start as WasmBase::startVm: _initialize then main(0, 0), else _start.
    this.starting = true;
    try {
      if (typeof this.exports._initialize === 'function') {
        (this.exports._initialize as Fn)();
        if (typeof this.exports.main === 'function') (this.exports.main as Fn)(0, 0);
      } else if (typeof this.exports._start === 'function') {
        (this.exports._start as Fn)();
      }
    } catch (e) {
      if (!(e instanceof ProcExit && e.code === 0)) {
        throw new PluginLoadError(`Wasm module ${this.name} trapped during start: ${(e as Error).message}`, this.logs.slice());
      }
    } finally {
      this.starting = false;
    }

    const root = this.newContext(undefined);
    this.rootContext = root;
    this.callVoid('proxy_on_context_create', root, root.id, 0);
    if (this.failed) throw new PluginLoadError(`Wasm module ${this.name} trapped creating its root context`, this.logs.slice());
    this.inConfigure = 'vm';
    const vmOk = this.callNum('proxy_on_vm_start', root, 1, root.id, this.vmConfiguration.length);
    this.inConfigure = undefined;
    if (this.failed || vmOk === 0) throw new PluginLoadError(`Failed to start base Wasm VM for ${this.name} (proxy_on_vm_start returned false)`, this.logs.slice());
    this.inConfigure = 'plugin';
    const cfgOk = this.callNum('proxy_on_configure', root, 1, root.id, this.configuration.length);
    this.inConfigure = undefined;
    if (this.failed || cfgOk === 0) throw new PluginLoadError(`Wasm VM ${this.name} failed to configure: proxy_on_configure returned false`, this.logs.slice());
  }

  // ---- contexts and calls into the module ------------------------------------------------------

  newContext(root: Context | undefined, stream?: StreamBinding, index = 0): Context {
    const id = this.nextContextId++;
    const ctx: Context = { id, rootId: root?.id, stream, index, calls: new Map(), deleted: false };
    this.contexts.set(id, ctx);
    return ctx;
  }

  /** Marks the plugin failed without a trap (e.g. it blocked the gateway before a restart). */
  disable(reason: string): void {
    this.failed = true;
    this.log('critical', `Plugin ${this.name} disabled: ${reason}; the plugin is now ${this.failOpen ? 'skipped (fail open)' : 'failing requests (fail closed)'}`, 0);
  }

  /** Contexts alive in the module (the root plus streams not yet deleted). */
  get liveContexts(): number {
    return this.contexts.size;
  }

  hasExport(name: string): boolean {
    return typeof this.exports[name] === 'function';
  }

  /** Calls an exported callback with ctx effective; a trap marks the plugin failed. */
  private invoke(name: string, ctx: Context, args: number[]): { ok: boolean; value: unknown } {
    const fn = this.exports[name];
    if (typeof fn !== 'function') return { ok: true, value: undefined };
    if (this.failed) return { ok: false, value: undefined };
    const prev = this.effective;
    this.effective = ctx;
    const t0 = performance.now();
    const probe = this.host.options.onCallback;
    probe?.(this, name);
    try {
      return { ok: true, value: fn(...args) };
    } catch (e) {
      this.trap(name, e);
      return { ok: false, value: undefined };
    } finally {
      probe?.(this, undefined);
      this.effective = prev;
      const ms = performance.now() - t0;
      // A callback cannot be interrupted from this thread; make slow ones visible at least.
      if (ms > SLOW_CALLBACK_MS) this.log('warn', `${name} took ${ms.toFixed(0)} ms; the host's thread was blocked meanwhile`, ctx.id);
    }
  }

  private trap(where: string, e: unknown): void {
    this.failed = true;
    const msg = e instanceof ProcExit ? `module called ${e.message}` : (e as Error)?.message ?? String(e);
    this.log('critical', `Plugin ${this.name} failed in ${where}: ${msg}; the plugin is now ${this.failOpen ? 'skipped (fail open)' : 'failing requests (fail closed)'}`, 0);
    this.host.emitTrap(this, where, msg);
  }

  callVoid(name: string, ctx: Context, ...args: number[]): boolean {
    return this.invoke(name, ctx, args).ok;
  }

  /** Returns the callback's numeric result, dflt when not exported, undefined on a trap. */
  callNum(name: string, ctx: Context, dflt: number, ...args: number[]): number | undefined {
    if (typeof this.exports[name] !== 'function') return dflt;
    const r = this.invoke(name, ctx, args);
    if (!r.ok) return undefined;
    return Number(r.value ?? dflt) >>> 0;
  }

  /** Request/response header callbacks differ in arity between ABI 0.1.0 and 0.2.x. */
  callHeaders(name: 'proxy_on_request_headers' | 'proxy_on_response_headers', ctx: Context, n: number, eos: boolean): number | undefined {
    return this.abi === '0.1.0' ? this.callNum(name, ctx, 0, ctx.id, n) : this.callNum(name, ctx, 0, ctx.id, n, eos ? 1 : 0);
  }

  createStreamContext(stream: StreamBinding, index: number): Context {
    const ctx = this.newContext(this.rootContext, stream, index);
    this.callVoid('proxy_on_context_create', ctx, ctx.id, this.rootContext.id);
    return ctx;
  }

  /** on_done and on_delete of a stream context; its http calls belong to the root and go on. */
  destroyContext(ctx: Context): void {
    if (ctx.deleted) return;
    this.callNum('proxy_on_done', ctx, 1, ctx.id);
    this.deleteContext(ctx);
  }

  private deleteContext(ctx: Context): void {
    if (ctx.deleted) return;
    ctx.deleted = true;
    for (const ac of ctx.calls.values()) ac.abort();
    ctx.calls.clear();
    ctx.tick?.cancel();
    this.callVoid('proxy_on_delete', ctx, ctx.id);
    this.contexts.delete(ctx.id);
  }

  /**
   * Shuts the VM down as proxy-wasm-cpp-host's WasmBase::startShutdown: proxy_on_done on the root
   * context; true deletes it at once, false keeps the VM alive until the plugin calls proxy_done
   * or deadlineMs passes. Then proxy_on_delete, and destroying the root context cancels every
   * http call still outstanding (Envoy's Context::~Context). Nothing else is awaited, and the
   * root context never sees proxy_on_log.
   */
  async shutdown(deadlineMs: number): Promise<void> {
    const root = this.rootContext;
    if (!root || root.deleted) return;
    root.tick?.cancel();
    const done = this.failed ? 1 : this.callNum('proxy_on_done', root, 1, root.id);
    if (done === 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadlineMs);
        root.pendingDone = () => {
          clearTimeout(t);
          resolve();
        };
      });
      root.pendingDone = undefined;
    }
    for (const ctx of [...this.contexts.values()]) if (ctx !== root) this.deleteContext(ctx);
    this.deleteContext(root);
  }

  /** The root context that owns ctx (itself for a root context). */
  rootOf(ctx: Context): Context {
    return ctx.rootId === undefined ? ctx : (this.contexts.get(ctx.rootId) ?? this.rootContext);
  }

  deliverHttpCallResponse(ctx: Context, token: number, outcome: HttpCallOutcome): boolean {
    if (ctx.deleted || this.failed) return false;
    this.callResponse = { outcome };
    this.callStatus = outcome.kind === 'response' ? { code: Status.Ok, message: '' } : { code: 13, message: outcome.reason };
    try {
      if (outcome.kind === 'response') {
        this.callVoid('proxy_on_http_call_response', ctx, ctx.id, token, outcome.headers.length, outcome.body.length, outcome.trailers.length);
      } else {
        this.callVoid('proxy_on_http_call_response', ctx, ctx.id, token, 0, 0, 0);
      }
    } finally {
      this.callResponse = undefined;
    }
    return true;
  }

  tick(): void {
    if (!this.rootContext.deleted) this.callVoid('proxy_on_tick', this.rootContext, this.rootContext.id);
  }

  queueReady(queueId: number): void {
    if (!this.rootContext.deleted) this.callVoid('proxy_on_queue_ready', this.rootContext, this.rootContext.id, queueId);
  }

  // ---- metrics -------------------------------------------------------------------------------

  metricsSnapshot(): Record<string, MetricSnapshot> {
    const out: Record<string, MetricSnapshot> = {};
    for (const m of this.metrics.values()) out[m.name] = { ...m, samples: m.samples.slice() };
    return out;
  }

  // ---- host functions ------------------------------------------------------------------------

  private guard(fn: Fn): Fn {
    return (...args: unknown[]) => {
      try {
        return fn(...args);
      } catch (e) {
        if (e instanceof MemoryAccessError || e instanceof RangeError) return Status.InvalidMemoryAccess;
        throw e;
      }
    };
  }

  private ctx(): Context {
    return this.effective ?? this.rootContext;
  }

  private bufferFor(type: number): { get(): Uint8Array; set?(b: Uint8Array): void } | undefined | null {
    const ctx = this.ctx();
    switch (type) {
      case BufferType.VmConfiguration:
        return { get: () => this.vmConfiguration };
      case BufferType.PluginConfiguration:
        // Envoy offers the plugin configuration only while on_configure runs.
        return this.inConfigure === 'plugin' ? { get: () => this.configuration } : undefined;
      case BufferType.HttpCallResponseBody: {
        const r = this.callResponse?.outcome;
        return r ? { get: () => (r.kind === 'response' ? r.body : new Uint8Array()) } : undefined;
      }
      case BufferType.HttpRequestBody:
      case BufferType.HttpResponseBody:
        return ctx.stream?.bodyBuffer(ctx.index, type);
      case BufferType.DownstreamData:
      case BufferType.UpstreamData:
      case BufferType.GrpcCallMessage:
      case BufferType.ForeignFunctionArguments:
        return undefined;
      default:
        return null;
    }
  }

  private mapFor(type: number): HeaderMap | undefined | null {
    if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
      const r = this.callResponse?.outcome;
      if (!r) return undefined;
      if (r.kind !== 'response') return new HeaderMap();
      return new HeaderMap(type === MapType.HttpCallResponseHeaders ? r.headers : r.trailers);
    }
    if (type < 0 || type > 7) return null;
    const ctx = this.ctx();
    return ctx.stream?.headerMap(type, ctx.index);
  }

  private rootOnlyProperty(segments: string[]): Uint8Array | undefined {
    const h = this.host;
    switch (segments[0]) {
      case 'plugin_name':
        return segments.length === 1 ? enc.encode(this.name) : undefined;
      case 'plugin_root_id':
        return segments.length === 1 ? enc.encode(this.rootIdName) : undefined;
      case 'plugin_vm_id':
        return segments.length === 1 ? enc.encode(this.vmId) : undefined;
      case 'node': {
        if (segments.length === 1) return encodeNode({ id: h.nodeId, cluster: h.nodeCluster, metadata: h.nodeMetadata });
        if (segments[1] === 'id' && segments.length === 2) return enc.encode(h.nodeId);
        if (segments[1] === 'cluster' && segments.length === 2) return enc.encode(h.nodeCluster);
        if (segments[1] === 'metadata') {
          let v: JsonValue = h.nodeMetadata;
          for (const s of segments.slice(2)) {
            if (v && typeof v === 'object' && !Array.isArray(v) && s in v) v = v[s];
            else if (Array.isArray(v) && /^\d+$/.test(s) && Number(s) < v.length) v = v[Number(s)];
            else return undefined;
          }
          return encodeJsonAsCel(v);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  getProperty(path: string[]): Uint8Array | undefined {
    const ctx = this.ctx();
    // The flavour decides which names exist (properties/tables.ts); the rest works on the
    // host's own names.
    const segments = canonicalPath(this.host.flavour, path);
    if (segments === undefined) return path.length === 1 ? ctx.stream?.filterState.get(`wasm.${path[0]}`) : undefined;
    const r = this.rootOnlyProperty(segments);
    if (r !== undefined) return r;
    return ctx.stream?.getProperty(segments, this);
  }

  private envImports(): Record<string, Fn> {
    const m = () => this.mem;
    const g = (fn: Fn) => this.guard(fn);
    const host = this.host;
    const setMap = (type: number, fn: (map: HeaderMap) => void): number => {
      const map = this.mapFor(type);
      if (map === null) return Status.BadArgument;
      if (!map || !this.ctx().stream?.headerMapWritable(type, this.ctx().index)) return Status.BadArgument;
      fn(map);
      return Status.Ok;
    };
    const imports: Record<string, Fn> = {
      proxy_log: g((level: number, ptr: number, size: number) => {
        const name = LOG_LEVEL_NAMES[level];
        if (!name) return Status.BadArgument;
        this.log(name, m().string(ptr, size));
        return Status.Ok;
      }),
      proxy_get_log_level: g((ret: number) => {
        m().setU32(ret, host.logLevel);
        return Status.Ok;
      }),
      proxy_get_current_time_nanoseconds: g((ret: number) => {
        m().setU64(ret, host.clock.nowNs());
        return Status.Ok;
      }),
      proxy_set_tick_period_milliseconds: g((period: number) => {
        const root = this.contexts.get(this.ctx().rootId ?? this.ctx().id) ?? this.rootContext;
        root.tick?.cancel();
        root.tick = undefined;
        if (period > 0) root.tick = host.clock.every(period >>> 0, () => this.tick());
        return Status.Ok;
      }),
      proxy_get_configuration: g((ptrPtr: number, sizePtr: number) => {
        const cfg = this.inConfigure === 'vm' ? this.vmConfiguration : this.configuration;
        m().copyOut(cfg, ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_get_buffer_status: g((type: number, sizePtr: number, flagsPtr: number) => {
        const b = this.bufferFor(type);
        if (b === null) return Status.BadArgument;
        if (!b) return Status.NotFound;
        m().setU32(sizePtr, b.get().length);
        m().setU32(flagsPtr, 0);
        return Status.Ok;
      }),
      proxy_get_buffer_bytes: g((type: number, start: number, max: number, ptrPtr: number, sizePtr: number) => {
        const b = this.bufferFor(type);
        if (b === null) return Status.BadArgument;
        if (!b) return Status.NotFound;
        const data = b.get();
        start >>>= 0;
        max >>>= 0;
        if (start > data.length) return Status.BadArgument;
        m().copyOut(data.subarray(start, Math.min(data.length, start + max)), ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_set_buffer_bytes: g((type: number, start: number, size: number, ptr: number, len: number) => {
        const b = this.bufferFor(type);
        if (b === null) return Status.BadArgument;
        if (!b) return Status.NotFound;
        if (!b.set) return Status.BadArgument;
        const value = m().bytes(ptr, len);
        const cur = b.get();
        start >>>= 0;
        size >>>= 0;
        // Envoy's Buffer::copyFrom: prepend (0,0), replace all (0,>=len), or append (start>=len).
        if (start === 0 && size === 0) b.set(concat(value, cur));
        else if (start === 0 && size >= cur.length) b.set(value);
        else if (start >= cur.length) b.set(concat(cur, value));
        else return Status.BadArgument;
        return Status.Ok;
      }),
      proxy_get_header_map_pairs: g((type: number, ptrPtr: number, sizePtr: number) => {
        const map = this.mapFor(type);
        if (map === null) return Status.BadArgument;
        // Upstream Envoy answers BadArgument for a map it does not hold now (Context::getConstMap).
        if (!map && this.host.flavour === 'upstream' && type <= MapType.HttpResponseTrailers) return Status.BadArgument;
        m().copyOut(serializeFields(map?.pairs ?? []), ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_set_header_map_pairs: g((type: number, ptr: number, size: number) => {
        const pairs = deserializeFields(m().bytes(ptr, size));
        return setMap(type, (map) => map.setAll(pairs));
      }),
      proxy_get_header_map_size: g((type: number, sizePtr: number) => {
        const map = this.mapFor(type);
        if (!map) return Status.BadArgument;
        m().setU32(sizePtr, map.byteSize());
        return Status.Ok;
      }),
      proxy_get_header_map_value: g((type: number, kp: number, ks: number, ptrPtr: number, sizePtr: number) => {
        const map = this.mapFor(type);
        if (!map) return Status.BadArgument;
        const v = map.get(m().field(kp, ks));
        if (v === undefined) {
          if (this.abi !== '0.1.0') return Status.NotFound;
          m().copyOut(new Uint8Array(), ptrPtr, sizePtr);
          return Status.Ok;
        }
        m().copyOut(fieldBytes(v), ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_add_header_map_value: g((type: number, kp: number, ks: number, vp: number, vs: number) => {
        const k = m().field(kp, ks);
        const v = m().field(vp, vs);
        return setMap(type, (map) => map.add(k, v));
      }),
      proxy_replace_header_map_value: g((type: number, kp: number, ks: number, vp: number, vs: number) => {
        const k = m().field(kp, ks);
        const v = m().field(vp, vs);
        return setMap(type, (map) => map.replace(k, v));
      }),
      proxy_remove_header_map_value: g((type: number, kp: number, ks: number) => {
        const k = m().field(kp, ks);
        return setMap(type, (map) => map.remove(k));
      }),
      proxy_get_property: g((pp: number, ps: number, ptrPtr: number, sizePtr: number) => {
        const path = m().string(pp, ps);
        const v = this.getProperty(splitPath(path));
        if (v === undefined) return Status.NotFound;
        m().copyOut(v, ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_set_property: g((pp: number, ps: number, vp: number, vs: number) => {
        const path = m().string(pp, ps);
        const value = m().bytes(vp, vs);
        const s = this.ctx().stream;
        if (!s) return Status.NotFound;
        return s.setProperty(path, value);
      }),
      proxy_continue_stream: g((type: number) => {
        const ctx = this.ctx();
        if (type > StreamType.Upstream) return Status.BadArgument;
        if (type > StreamType.HttpResponse) return Status.Unimplemented;
        if (!ctx.stream) return Status.NotFound;
        return ctx.stream.continueStream(ctx.index, type);
      }),
      proxy_close_stream: g((type: number) => {
        const ctx = this.ctx();
        if (type > StreamType.Upstream) return Status.BadArgument;
        if (!ctx.stream) return Status.NotFound;
        return ctx.stream.closeStream(ctx.index, type);
      }),
      proxy_continue_request: g(() => {
        const ctx = this.ctx();
        return ctx.stream ? ctx.stream.continueStream(ctx.index, StreamType.HttpRequest) : Status.NotFound;
      }),
      proxy_continue_response: g(() => {
        const ctx = this.ctx();
        return ctx.stream ? ctx.stream.continueStream(ctx.index, StreamType.HttpResponse) : Status.NotFound;
      }),
      proxy_clear_route_cache: () => Status.Ok,
      proxy_send_local_response: g((status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number) => {
        const details = m().string(dp, ds);
        const body = m().bytes(bp, bs);
        const headers = deserializeFields(m().bytes(hp, hs));
        const ctx = this.ctx();
        if (!ctx.stream) return Status.NotFound;
        return ctx.stream.sendLocalResponse(ctx.index, status, details, body, headers, grpc | 0);
      }),
      proxy_http_call: g((up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) => {
        const cluster = m().string(up, us);
        const headers = deserializeFields(m().bytes(hp, hs));
        const body = m().bytes(bp, bs);
        const trailers = deserializeFields(m().bytes(tp, ts));
        if ((timeout | 0) < 0) return Status.BadArgument;
        const hm = new HeaderMap(headers);
        if (!hm.has(':path') || !hm.has(':method') || !hm.has(':authority')) return Status.BadArgument;
        if (!host.hasCluster(cluster)) return Status.BadArgument;
        m().setU32(tokenPtr, 0); // cpp-host checks the token's memory before starting the call
        // proxy-wasm-cpp-host src/exports.cc http_call: the call is made on the root context of
        // the effective context, whichever context that is; its response goes to the root.
        const r = host.dispatchHttpCall(this, this.rootOf(this.ctx()), { cluster, headers, body, trailers, timeoutMs: timeout >>> 0 });
        if (typeof r !== 'number') return r.status;
        m().setU32(tokenPtr, r);
        return Status.Ok;
      }),
      proxy_get_status: g((codePtr: number, msgPtr: number, msgSize: number) => {
        m().setU32(codePtr, this.callStatus.code);
        m().copyOut(enc.encode(this.callStatus.message), msgPtr, msgSize);
        return Status.Ok;
      }),
      proxy_set_effective_context: g((id: number) => {
        const ctx = this.contexts.get(id >>> 0);
        if (!ctx || ctx.deleted) return Status.BadArgument;
        this.effective = ctx;
        return Status.Ok;
      }),
      proxy_done: g(() => {
        const ctx = this.ctx();
        const root = this.contexts.get(ctx.rootId ?? ctx.id);
        if (!root?.pendingDone) return Status.NotFound;
        const f = root.pendingDone;
        root.pendingDone = undefined;
        queueMicrotask(f);
        return Status.Ok;
      }),
      proxy_get_shared_data: g((kp: number, ks: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
        const e = host.sharedData.get(`${this.vmId}\0${m().string(kp, ks)}`);
        if (!e) return Status.NotFound;
        m().copyOut(e.value, ptrPtr, sizePtr);
        m().setU32(casPtr, e.cas);
        return Status.Ok;
      }),
      proxy_set_shared_data: g((kp: number, ks: number, vp: number, vs: number, cas: number) => {
        const key = `${this.vmId}\0${m().string(kp, ks)}`;
        const value = m().bytes(vp, vs);
        const e = host.sharedData.get(key);
        if (cas !== 0 && e && e.cas !== cas >>> 0) return Status.CasMismatch;
        host.sharedData.set(key, { value, cas: host.nextCas() });
        return Status.Ok;
      }),
      proxy_register_shared_queue: g((np: number, ns: number, idPtr: number) => {
        m().setU32(idPtr, host.registerQueue(this, this.vmId, m().string(np, ns)));
        return Status.Ok;
      }),
      proxy_resolve_shared_queue: g((vp: number, vs: number, np: number, ns: number, idPtr: number) => {
        const id = host.resolveQueue(m().string(vp, vs), m().string(np, ns));
        if (id === undefined) return Status.NotFound;
        m().setU32(idPtr, id);
        return Status.Ok;
      }),
      proxy_enqueue_shared_queue: g((id: number, vp: number, vs: number) => host.enqueue(id >>> 0, m().bytes(vp, vs))),
      proxy_dequeue_shared_queue: g((id: number, ptrPtr: number, sizePtr: number) => {
        const r = host.dequeue(id >>> 0);
        if (typeof r === 'number') return r;
        m().copyOut(r, ptrPtr, sizePtr);
        return Status.Ok;
      }),
      proxy_define_metric: g((type: number, np: number, ns: number, idPtr: number) => {
        if (type > MetricType.Histogram) return Status.BadArgument;
        const name = m().string(np, ns);
        const key = `${type}\0${name}`;
        let id = this.metricIds.get(key);
        if (id === undefined) {
          // Envoy keeps the metric type in the low two bits of the id.
          id = (this.nextMetricSeq++ << 2) | type;
          this.metricIds.set(key, id);
          this.metrics.set(id, { name, type: (['counter', 'gauge', 'histogram'] as const)[type], value: 0, samples: [] });
        }
        m().setU32(idPtr, id);
        return Status.Ok;
      }),
      proxy_increment_metric: g((id: number, delta: bigint) => {
        const mt = this.metrics.get(id >>> 0);
        if (!mt) return (id & 3) === MetricType.Histogram ? Status.BadArgument : Status.NotFound;
        const d = Number(delta);
        if (mt.type === 'counter') {
          if (d <= 0) return Status.BadArgument;
          mt.value += d;
        } else if (mt.type === 'gauge') mt.value += d;
        else return Status.BadArgument;
        return Status.Ok;
      }),
      proxy_record_metric: g((id: number, value: bigint) => {
        const mt = this.metrics.get(id >>> 0);
        if (!mt) return Status.NotFound;
        const v = Number(BigInt.asUintN(64, value));
        if (mt.type === 'counter') mt.value += v;
        else if (mt.type === 'gauge') mt.value = v;
        else {
          mt.value++;
          mt.samples.push(v);
          if (mt.samples.length > 10_000) mt.samples.shift();
        }
        return Status.Ok;
      }),
      proxy_get_metric: g((id: number, ret: number) => {
        const mt = this.metrics.get(id >>> 0);
        if (!mt) return (id & 3) === MetricType.Histogram ? Status.BadArgument : Status.NotFound;
        if (mt.type === 'histogram') return Status.BadArgument;
        m().setU64(ret, BigInt(Math.trunc(mt.value)));
        return Status.Ok;
      }),
      proxy_call_foreign_function: g(() => Status.NotFound),
      // Envoy's additions beyond the ABI (proxy-wasm-cpp-host src/exports.cc).
      pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
      // cpp-host refreshes its view of memory here; GuestMemory reads the buffer on every access.
      emscripten_notify_memory_growth: () => undefined,
    };
    return imports;
  }
}

export function splitPath(path: string): string[] {
  // Envoy separates property path segments with NUL only; a dotted name is one segment.
  const parts = path.split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A JSON value as Envoy serializes the CEL value of a google.protobuf.Value/Struct field. */
export function encodeJsonAsCel(v: JsonValue): Uint8Array {
  if (v === null) return new Uint8Array();
  if (typeof v === 'string') return enc.encode(v);
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  if (typeof v === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return b;
  }
  if (Array.isArray(v)) return serializePairs(v.map((x) => [encodeJsonAsCel(x), new Uint8Array()]));
  return serializePairs(Object.entries(v).map(([k, x]) => [k, encodeJsonAsCel(x)]));
}

