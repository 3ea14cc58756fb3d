// The statistics worker thread: computeStats() on its own read-only connection to the SQLite
// file. better-sqlite3 runs statements synchronously, so on the collector's main thread a
// seconds-long aggregate over millions of rows would hold up /ingest and /health meanwhile;
// here it only occupies this thread (WAL lets it read while the collector writes).
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { computeStats } from './compute.js';
import { StatsParamError } from './params.js';
import type { WorkerRequest, WorkerReply } from './worker-protocol.js';

const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 5000');
const reader = {
  dialect: 'sqlite' as const,
  all: async (sql: string, params: readonly unknown[]) => db.prepare(sql).all(...(params as unknown[])) as Record<string, unknown>[],
};

parentPort!.on('message', async (req: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const range = { start: req.range.start === null ? null : new Date(req.range.start), end: req.range.end === null ? null : new Date(req.range.end) };
    reply = { id: req.id, result: await computeStats({ reader, filter: req.filter, options: req.options, range, usage: req.usage }) };
  } catch (e) {
    reply = e instanceof StatsParamError
      ? { id: req.id, paramError: { params: e.params, message: e.message } }
      : { id: req.id, error: e instanceof Error ? e.message : String(e) };
  }
  parentPort!.postMessage(reply);
});
