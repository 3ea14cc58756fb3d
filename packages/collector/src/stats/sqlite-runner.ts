import { Worker } from 'node:worker_threads';
import type { ComputeStatsInput, StatsResult } from './compute.js';
import { StatsParamError } from './params.js';
import type { WorkerReply, WorkerRequest } from './worker-protocol.js';

/** Answers beyond this many waiting computations get a 503 instead of a growing queue. */
export const MAX_QUEUED = 32;

/**
 * From dist the worker is worker.js. From src (tests and the demo run TypeScript through tsx
 * with `--conditions=source`) it is worker.ts: module hooks do not carry over to worker threads
 * on Node 20, so a two-line bootstrap registers tsx in the worker before importing it.
 */
function startWorker(file: string): Worker {
  const workerData = { file };
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const url = new URL('./worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(url)}); });`;
  return new Worker(boot, { eval: true, workerData, execArgv: process.execArgv.filter((a) => a.startsWith('--conditions')) });
}

export class StatsBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StatsBusyError';
  }
}

/**
 * Runs computeStats() for a SQLite store in one worker thread (see worker.ts), one computation
 * at a time in arrival order. A computation running longer than `timeoutMs` terminates the
 * worker (which stops the statement) and fails with StatsBusyError; the next call starts a
 * fresh worker.
 */
export class SqliteStatsRunner {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: StatsResult) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | undefined }>();
  private readonly queue: WorkerRequest[] = [];
  private running: number | null = null;
  private closed = false;

  constructor(private readonly file: string, private readonly timeoutMs = 60_000) {}

  run(input: Pick<ComputeStatsInput, 'filter' | 'options' | 'range' | 'usage'>): Promise<StatsResult> {
    if (this.closed) return Promise.reject(new StatsBusyError('collector is shutting down'));
    if (this.pending.size >= MAX_QUEUED) return Promise.reject(new StatsBusyError(`${MAX_QUEUED} statistics requests are already waiting`));
    const req: WorkerRequest = {
      id: this.nextId++,
      filter: { where: input.filter.where, params: [...input.filter.params] },
      options: input.options,
      range: { start: input.range?.start ? input.range.start.getTime() : null, end: input.range?.end ? input.range.end.getTime() : null },
      usage: input.usage,
    };
    return new Promise<StatsResult>((resolve, reject) => {
      this.pending.set(req.id, { resolve, reject, timer: undefined });
      this.queue.push(req);
      this.pump();
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = startWorker(this.file);
    w.on('message', (reply: WorkerReply) => this.settle(reply));
    w.on('error', (err) => this.failAll(err instanceof Error ? err : new Error(String(err))));
    w.on('exit', () => {
      if (this.worker === w) this.worker = null;
      if (this.running !== null) this.failRunning(new StatsBusyError('statistics worker stopped'));
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private pump(): void {
    if (this.running !== null || this.queue.length === 0 || this.closed) return;
    const req = this.queue.shift()!;
    const p = this.pending.get(req.id);
    if (!p) return this.pump();
    this.running = req.id;
    p.timer = setTimeout(() => {
      // Stop the statement first (terminating the thread), then move on to the next request.
      const w = this.worker;
      this.worker = null;
      void w?.terminate();
      this.failRunning(new StatsBusyError(`statistics took longer than ${this.timeoutMs} ms; narrow the time range`));
    }, this.timeoutMs);
    this.ensureWorker().postMessage(req);
  }

  private settle(reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    if (reply.id === this.running) this.running = null;
    if (p) {
      clearTimeout(p.timer);
      this.pending.delete(reply.id);
      if ('result' in reply) p.resolve(reply.result);
      else if ('paramError' in reply) {
        const e = new StatsParamError(reply.paramError.params.map((param) => ({ param, message: '' })));
        e.message = reply.paramError.message;
        p.reject(e);
      } else p.reject(new Error(reply.error));
    }
    this.pump();
  }

  private failRunning(err: Error): void {
    if (this.running === null) return;
    const p = this.pending.get(this.running);
    this.pending.delete(this.running);
    this.running = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pump();
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(err);
      this.pending.delete(id);
    }
    this.queue.length = 0;
    this.running = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new StatsBusyError('collector is shutting down'));
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
