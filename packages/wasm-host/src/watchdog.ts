// A supervised gateway: the proxy runs in a worker thread while this thread watches its
// heartbeat. WebAssembly cannot be interrupted from its own thread, so a plugin that loops
// inside a callback would otherwise hang the gateway for good; here the stalled worker is
// terminated and a new one started with that plugin disabled (failing open or closed as set).

import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { GatewayOptions } from './gateway.js';
import type { LogLevelName } from './abi.js';
import { jsonLogger, type Logger } from './log.js';

/** Callback names reported through the shared state by index. */
export const CALLBACK_NAMES = [
  'unknown', 'proxy_on_context_create', 'proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_request_headers',
  'proxy_on_request_body', 'proxy_on_request_trailers', 'proxy_on_response_headers', 'proxy_on_response_body',
  'proxy_on_response_trailers', 'proxy_on_log', 'proxy_on_done', 'proxy_on_delete', 'proxy_on_http_call_response',
  'proxy_on_tick', 'proxy_on_queue_ready',
];

/** Int32 slots of the shared state: heartbeat counter, plugin index + 1 in a callback, callback. */
export const HEARTBEAT = 0;
export const PLUGIN = 1;
export const CALLBACK = 2;

export type SupervisedOptions = Omit<GatewayOptions, 'logger' | 'onCallback' | 'disabledPlugins'>;

export interface SupervisedGateway {
  url: string;
  /** How many times the worker was replaced after a stall. */
  restarts(): number;
  close(): Promise<void>;
}

export type WorkerMessage =
  | { type: 'log'; level: LogLevelName; msg: string; fields?: Record<string, unknown> }
  | { type: 'listening'; url: string }
  | { type: 'error'; message: string };

interface Running {
  worker: Worker;
  state: Int32Array;
  url: string;
}

export async function startSupervisedGateway(opts: SupervisedOptions, watchdogMs: number, log: Logger = jsonLogger(opts.logLevel ?? 'info')): Promise<SupervisedGateway> {
  const disabled: Record<number, string> = {};
  const names = (opts.plugins ?? []).map((p, i) => p.name ?? (typeof p.wasm === 'string' ? basename(p.wasm).replace(/\.wasm$/, '') : `plugin-${i + 1}`));
  const fromSource = import.meta.url.endsWith('.ts');
  const workerUrl = new URL(fromSource ? './gateway-worker.ts' : './gateway-worker.js', import.meta.url);
  // From TypeScript sources (tests) the worker loads its entry through tsx's API, since loader
  // hooks registered in this thread do not reach worker threads.
  const entry = fromSource
    ? { code: `import('tsx/esm/api').then((t) => t.tsImport(${JSON.stringify(workerUrl.href)}, ${JSON.stringify(import.meta.url)}))`, eval: true }
    : { code: workerUrl, eval: false };
  let restarts = 0;
  let closing = false;

  const spawn = (listen: string | number | undefined): Promise<Running> =>
    new Promise((resolve, reject) => {
      const sab = new SharedArrayBuffer(16);
      const worker = new Worker(entry.code, { eval: entry.eval, workerData: { options: { ...opts, listen, disabledPlugins: disabled }, sab } });
      const state = new Int32Array(sab);
      // A plugin can also block while loading (e.g. on_configure): watch the start-up too.
      let beat = -1;
      let since = Date.now();
      const startWatch = setInterval(() => {
        const hb = Atomics.load(state, HEARTBEAT);
        // The clock starts with the worker's first beat: loading its own code (slow on a busy
        // machine) is no plugin blocking it.
        if (hb !== beat || hb === 0) {
          beat = hb;
          since = Date.now();
        } else if (Date.now() - since > watchdogMs) {
          clearInterval(startWatch);
          const idx = Atomics.load(state, PLUGIN) - 1;
          void worker.terminate();
          reject(new Error(`plugin ${names[idx] ?? '?'} blocked the gateway for more than ${watchdogMs} ms in ${CALLBACK_NAMES[Atomics.load(state, CALLBACK)]} while loading`));
        }
      }, 100);
      const done = (): void => clearInterval(startWatch);
      worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'log') {
          log(m.level, m.msg, m.fields);
          return;
        }
        done();
        if (m.type === 'listening') resolve({ worker, state, url: m.url });
        else if (m.type === 'error') reject(new Error(m.message));
      });
      worker.once('error', (e) => {
        done();
        reject(e);
      });
      worker.once('exit', (code) => {
        done();
        reject(new Error(`gateway worker exited with code ${code} before listening`));
      });
    });

  let running = await spawn(opts.listen);
  const fixedListen = new URL(running.url).host;
  let last = Atomics.load(running.state, HEARTBEAT);
  let lastChange = Date.now();
  let restarting = false;

  const check = async (): Promise<void> => {
    if (closing || restarting) return;
    const hb = Atomics.load(running.state, HEARTBEAT);
    if (hb !== last) {
      last = hb;
      lastChange = Date.now();
      return;
    }
    const stalled = Date.now() - lastChange;
    if (stalled < watchdogMs) return;
    restarting = true;
    const idx = Atomics.load(running.state, PLUGIN) - 1;
    const cb = CALLBACK_NAMES[Atomics.load(running.state, CALLBACK)] ?? 'unknown';
    log('critical', 'gateway thread blocked; restarting it', { plugin: names[idx] ?? null, callback: idx >= 0 ? cb : null, blocked_ms: stalled });
    if (idx >= 0) disabled[idx] = `it blocked the gateway for more than ${watchdogMs} ms in ${cb}`;
    await running.worker.terminate();
    for (let attempt = 0; ; attempt++) {
      try {
        running = await spawn(fixedListen);
        break;
      } catch (e) {
        if (attempt >= 20) {
          log('critical', 'cannot restart the gateway', { error: (e as Error).message });
          process.exitCode = 1;
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    restarts++;
    last = Atomics.load(running.state, HEARTBEAT);
    lastChange = Date.now();
    restarting = false;
  };
  const timer = setInterval(() => void check(), Math.max(50, Math.min(250, watchdogMs / 4)));

  return {
    get url() {
      return running.url;
    },
    restarts: () => restarts,
    close: async () => {
      closing = true;
      clearInterval(timer);
      const w = running.worker;
      const exited = new Promise<void>((r) => w.once('exit', () => r()));
      w.postMessage({ type: 'close' });
      const grace = (opts.shutdownGraceMs ?? 5000) + 5000;
      const t = setTimeout(() => void w.terminate(), grace);
      await exited;
      clearTimeout(t);
    },
  };
}
