import "../webassembly-types.js";
// One loaded proxy-wasm plugin: its module instance (the "VM"), its root context and stream
// contexts, and the calls into the module. The host functions it links are in ../hostcalls, one
// file per ABI area; what it needs from its host is VmHost.

import { performance } from 'node:perf_hooks';
import { type AbiVersion, type LogLevelName, Status } from '../abi.js';
import { hostFunctions } from '../hostcalls/index.js';
import { ProcExit, wasiImports } from '../hostcalls/wasi.js';
import type { HttpCallOutcome } from '../http-call.js';
import { envoyImport } from '../loader/envoy-imports.js';
import { type ImportInfo, readImports, sameSig, sigToString } from '../loader/module-info.js';
import { GuestMemory } from '../memory.js';
import type { VmHost } from './host-api.js';
import { type Context, type HttpCallRecord, type LogEntry, type MetricSnapshot, PluginLoadError, type PluginOptions, RestrictedCall, type StreamBinding, toBytes } from './types.js';

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
  private delivering: HttpCallOutcome | undefined;
  /** proxy_get_status: the status of the http call being answered. */
  callStatus: { code: number; message: string } = { code: 0, message: '' };
  /** Metric ids this VM defined, to the shared store's metrics. */
  readonly metrics = new Map<number, MetricSnapshot>();
  private unimplementedLogged = new Set<string>();
  private readonly env: Record<string, string>;
  private maxLogs = 10_000;

  /** Position in the chain, the worker whose VM this is (-1: the canary VM). */
  chainIndex = 0;
  worker = 0;

  constructor(readonly host: VmHost, opts: PluginOptions, defaultName: string) {
    this.name = opts.name ?? defaultName;
    this.rootIdName = opts.rootId ?? '';
    this.vmId = opts.vmId ?? '';
    this.configuration = toBytes(opts.configuration);
    this.vmConfiguration = toBytes(opts.vmConfiguration);
    this.env = opts.env ?? {};
    this.failOpen = opts.failOpen ?? host.failOpen;
  }

  /**
   * impl, refused while the module starts; a wrapper of the import's own arity (the module
   * passes exactly its signature's parameters), so a call allocates no rest array.
   */
  private afterStart(key: string, impl: Fn, arity: number): Fn {
    const f = impl as (...a: unknown[]) => unknown;
    const check = (): void => {
      if (this.starting) throw new RestrictedCall(key);
    };
    type A = unknown;
    switch (arity) {
      case 0: return () => (check(), f());
      case 1: return (a: A) => (check(), f(a));
      case 2: return (a: A, b: A) => (check(), f(a, b));
      case 3: return (a: A, b: A, c: A) => (check(), f(a, b, c));
      case 4: return (a: A, b: A, c: A, d: A) => (check(), f(a, b, c, d));
      case 5: return (a: A, b: A, c: A, d: A, e: A) => (check(), f(a, b, c, d, e));
      default:
        return (...args: unknown[]) => (check(), f(...args));
    }
  }

  // ---- logging -------------------------------------------------------------------------------

  log(level: LogLevelName, message: string, contextId = this.effective?.id ?? 0): void {
    const entry: LogEntry = { plugin: this.name, level, message, contextId, time: Number(this.host.clock.nowNs() / 1_000_000n) };
    this.logs.push(entry);
    if (this.logs.length > this.maxLogs) this.logs.splice(0, this.logs.length - this.maxLogs);
    this.host.emitLog(entry);
  }

  unimplemented(name: string): number {
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
    const env = hostFunctions(this);
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
      slot[imp.name] = known.start ? impl : this.afterStart(key, impl, imp.sig.params.length);
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
    this.host.probe(this, name);
    try {
      return { ok: true, value: fn(...args) };
    } catch (e) {
      this.trap(name, e);
      return { ok: false, value: undefined };
    } finally {
      this.host.probe(this, undefined);
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

  /**
   * Destroys a canary VM without callbacks, as cpp-host's WasmHandleBase::kill() after
   * canary(): its timers stop and its http calls are cancelled.
   */
  kill(): void {
    for (const ctx of this.contexts.values()) {
      ctx.deleted = true;
      for (const ac of ctx.calls.values()) ac.abort();
      ctx.tick?.cancel();
    }
    this.contexts.clear();
    this.failed = true;
  }

  /** The root context that owns ctx (itself for a root context). */
  rootOf(ctx: Context): Context {
    return ctx.rootId === undefined ? ctx : (this.contexts.get(ctx.rootId) ?? this.rootContext);
  }

  deliverHttpCallResponse(ctx: Context, token: number, outcome: HttpCallOutcome): boolean {
    if (ctx.deleted || this.failed) return false;
    this.delivering = outcome;
    this.callStatus = outcome.kind === 'response' ? { code: Status.Ok, message: '' } : { code: 13, message: outcome.reason };
    try {
      if (outcome.kind === 'response') {
        this.callVoid('proxy_on_http_call_response', ctx, ctx.id, token, outcome.headers.length, outcome.body.length, outcome.trailers.length);
      } else {
        this.callVoid('proxy_on_http_call_response', ctx, ctx.id, token, 0, 0, 0);
      }
    } finally {
      this.delivering = undefined;
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

  /** The plugin's metrics in the host's shared stats store (every VM of this plugin adds to them). */
  metricsSnapshot(): Record<string, MetricSnapshot> {
    return this.host.statsSnapshot(this.name);
  }

  // ---- what host functions see (VmAbi) ---------------------------------------------------------

  /** The effective context: the one a callback was called for, or the one set since. */
  ctx(): Context {
    return this.effective ?? this.rootContext;
  }

  context(id: number): Context | undefined {
    return this.contexts.get(id);
  }

  setEffective(ctx: Context): void {
    this.effective = ctx;
  }

  /** 'vm' while proxy_on_vm_start runs, 'plugin' while proxy_on_configure runs. */
  get configuring(): 'vm' | 'plugin' | undefined {
    return this.inConfigure;
  }

  /** The http-call response being delivered. */
  get callResponse(): HttpCallOutcome | undefined {
    return this.delivering;
  }
}
