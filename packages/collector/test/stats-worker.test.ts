// The SQLite statistics worker thread: the same answers as on the main thread, concurrent
// requests matched to their answers, parameter errors carried across, a bounded queue, and a
// computation past its time limit stopped with a 503-style error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FIELDS, createTableSql, type AccessLogRecord } from '@db-log-pusher/schema';
import {
  computeStats, parseStatsOptions, sampleRecords, SqliteStatsRunner, StatsBusyError, StatsParamError, MAX_QUEUED,
} from '../src/stats/index.js';
import { removeDir, tempDir } from './helpers.js';

const START = Date.UTC(2026, 4, 1);
let dir: string;
let file: string;
let db: Database.Database;

before(() => {
  dir = tempDir('stats-worker-');
  file = join(dir, 'logs.db');
  db = new Database(file);
  db.pragma('journal_mode = WAL');
  for (const s of createTableSql('sqlite')) db.exec(s);
  const cols = FIELDS.map((f) => f.name);
  const ins = db.prepare(`INSERT INTO access_logs (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
  const recs = sampleRecords({ count: 3000, seed: 5, startMs: START, spanMs: 3 * 3600_000 });
  db.transaction(() => {
    for (const r of recs) ins.run(...cols.map((c) => { const v = r[c as keyof AccessLogRecord]; return v == null ? null : typeof v === 'object' ? JSON.stringify(v) : v; }));
  })();
});

after(() => {
  db?.close();
  if (dir) removeDir(dir);
});

const mainReader = () => ({ dialect: 'sqlite' as const, all: async (sql: string, p: readonly unknown[]) => db.prepare(sql).all(...(p as unknown[])) as Record<string, unknown>[] });

test('answers as the main thread does, concurrent requests each get their own answer', async () => {
  const runner = new SqliteStatsRunner(file);
  try {
    const inputs = ['model', 'consumer', 'response_code', 'mcp_tool'].map((g) => ({
      filter: { where: 'start_time >= ?', params: [new Date(START + 3600_000).toISOString()] },
      options: parseStatsOptions({ group_by: g, interval: '15m' }),
      range: { start: new Date(START + 3600_000), end: new Date(START + 3 * 3600_000) },
    }));
    const viaWorker = await Promise.all(inputs.map((i) => runner.run(i)));
    for (let k = 0; k < inputs.length; k++) {
      assert.deepEqual(viaWorker[k], await computeStats({ reader: mainReader(), ...inputs[k] }));
      assert.equal(viaWorker[k].group_by, inputs[k].options.groupBy);
    }
    // A parameter error raised inside the worker arrives as a StatsParamError naming it.
    await assert.rejects(
      runner.run({ filter: { where: '', params: [] }, options: parseStatsOptions({ interval: '1s' }), range: { start: new Date(START), end: new Date(START + 86400_000) } }),
      (e: unknown) => e instanceof StatsParamError && e.params[0] === 'interval' && /86401 buckets/.test(e.message),
    );
  } finally {
    await runner.close();
  }
});

test('the queue is bounded and a computation past its time limit is stopped', async () => {
  // 1 ms is shorter than the worker's start-up alone, so the first computation always overruns.
  const slow = new SqliteStatsRunner(file, 1);
  try {
    const input = { filter: { where: '', params: [] }, options: parseStatsOptions({ group_by: 'model' }), range: {} };
    const runs = Array.from({ length: MAX_QUEUED + 1 }, () => slow.run(input).then(() => 'ok', (e: unknown) => e));
    const results = await Promise.all(runs);
    const last = results[MAX_QUEUED];
    assert.ok(last instanceof StatsBusyError && /already waiting/.test(last.message), String(last));
    assert.ok(results[0] instanceof StatsBusyError && /longer than 1 ms/.test((results[0] as Error).message), String(results[0]));
  } finally {
    await slow.close();
  }
  await assert.rejects(slow.run({ filter: { where: '', params: [] }, options: parseStatsOptions({}), range: {} }), /shutting down/);
});
