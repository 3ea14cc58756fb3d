// AI usage fields and cost on every store: derived from ai_log as ai-statistics writes it, priced
// at ingest from PRICES_FILE (exact, prefix and provider-prefixed names, an unpriced model).
import { test } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCollector } from '../src/index.js';
import { recomputeCost } from '../src/cost/recompute.js';
import { CORRECTED_PRICES, checkAiStats, checkAiUsage, checkRecompute, writeTestPrices } from './ai-usage-cases.js';
import { CLI, createSeedTable, createTestDatabase, mysqlUrlOrSkip, removeDir, tempDir, testConfig } from './helpers.js';
import { createPgTestDatabase, postgresUrlOrSkip } from './postgres-helpers.js';
import { chTestDatabase, clickhouseOrSkip, sharedClickhouse } from './clickhouse-helpers.js';

const NEW_COLUMNS = ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'llm_first_token_duration', 'llm_service_duration', 'response_type', 'session_id', 'cost'];

/** recompute-cost in process, with CORRECTED_PRICES, on the store `env` names. */
function recomputeIn(dir: string, env: Record<string, string>): (from: number, to: number) => Promise<number> {
  const file = join(dir, 'corrected.json');
  writeFileSync(file, JSON.stringify(CORRECTED_PRICES));
  return (from, to) => recomputeCost(testConfig(dir, { ...env, PRICES_FILE: file }), pino({ level: 'silent' }), from, to);
}

async function withStore(env: (dir: string) => Record<string, string>, fn: (url: string, dir: string) => Promise<void>, logger?: pino.Logger): Promise<void> {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { PRICES_FILE: writeTestPrices(dir), ...env(dir) }), logger ? { logger } : {});
  try {
    await fn(c.url, dir);
  } finally {
    await c.close();
    removeDir(dir);
  }
}

test('SQLite: AI usage fields derived from ai_log and priced at ingest', async () => {
  await withStore(() => ({}), async (url, dir) => {
    await checkAiUsage(url, 'sqlite');
    await checkAiStats(url, false);
    // The CLI, as an operator runs it.
    const file = join(dir, 'corrected.json');
    writeFileSync(file, JSON.stringify(CORRECTED_PRICES));
    await checkRecompute(url, 'sqlite', async (from, to) => {
      const r = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'recompute-cost', '--from', new Date(from).toISOString(), `--to=${new Date(to).toISOString()}`, '--data-dir', dir, '--prices-file', file], { encoding: 'utf8', env: { ...process.env, LOG_LEVEL: 'warn' } });
      assert.equal(r.status, 0, r.stderr);
      return Number(/^(\d+) rows$/m.exec(r.stdout)![1]);
    });
    const bad = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'recompute-cost', '--from', 'yesterday', '--data-dir', dir], { encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--from must be an RFC 3339 time/);
  });
});

test('MariaDB (table created by the collector): AI usage fields and cost', async (t) => {
  const base = mysqlUrlOrSkip(t);
  if (!base) return;
  const db = await createTestDatabase(base);
  try {
    await withStore(() => ({ DATABASE_URL: db.url }), async (url, dir) => {
      await checkAiUsage(url, 'mysql');
      await checkAiStats(url, false);
      await checkRecompute(url, 'mysql', recomputeIn(dir, { DATABASE_URL: db.url }));
    });
    const [col] = await db.rows<{ t: string }>("SELECT COLUMN_TYPE AS t FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'access_logs' AND COLUMN_NAME = 'cost'");
    assert.equal(col.t, 'decimal(18,10)');
  } finally {
    await db.drop();
  }
});

test('MariaDB, the seed table without ALTER permission: the new columns are left out, with a warning', async (t) => {
  const base = mysqlUrlOrSkip(t);
  if (!base) return;
  const db = await createTestDatabase(base);
  const user = `${db.name}_a`.slice(0, 32);
  const lines: string[] = [];
  const logger = pino({ level: 'warn' }, new Writable({ write: (chunk, _enc, cb) => (lines.push(String(chunk)), cb()) }));
  try {
    await createSeedTable(db);
    for (const h of ['%', 'localhost']) {
      await db.conn.query(`CREATE USER '${user}'@'${h}' IDENTIFIED BY 'pw-1'`);
      await db.conn.query(`GRANT SELECT, INSERT, UPDATE, CREATE ON ${db.name}.* TO '${user}'@'${h}'`);
    }
    const dsn = `${user}:pw-1@tcp(${db.host}:${db.port})/${db.name}?charset=utf8mb4&parseTime=True&loc=Local`;
    await withStore(() => ({ MYSQL_DSN: dsn }), async (url, dir) => {
      await checkAiUsage(url, 'seed', NEW_COLUMNS);
      await checkAiStats(url, true);
      await assert.rejects(recomputeIn(dir, { MYSQL_DSN: dsn })(0, Date.now()), /no cost column/);
    }, logger);
    const lacking = lines.filter((l) => l.includes('lacks these columns'));
    assert.equal(lacking.length, 1, 'one warning naming the columns left out');
    for (const c of NEW_COLUMNS) assert.ok(lacking[0].includes(c), `the warning names ${c}`);
  } finally {
    for (const h of ['%', 'localhost']) await db.conn.query(`DROP USER IF EXISTS '${user}'@'${h}'`).catch(() => undefined);
    await db.drop();
  }
});

test('PostgreSQL: AI usage fields and cost', async (t) => {
  const base = postgresUrlOrSkip(t);
  if (!base) return;
  const db = await createPgTestDatabase(base);
  try {
    await withStore(() => ({ DATABASE_URL: db.url }), async (url, dir) => {
      await checkAiUsage(url, 'pg');
      await checkAiStats(url, false);
      await checkRecompute(url, 'pg', recomputeIn(dir, { DATABASE_URL: db.url }));
    });
    const [col] = await db.rows<{ p: number; s: number }>("SELECT numeric_precision AS p, numeric_scale AS s FROM information_schema.columns WHERE table_name = 'access_logs' AND column_name = 'cost'");
    assert.deepEqual([col.p, col.s], [18, 10]);
  } finally {
    await db.drop();
  }
});

test('ClickHouse: AI usage fields and cost; the columns added to a table made before them; recompute-cost as a mutation', async (t) => {
  if (!clickhouseOrSkip(t)) return;
  const db = chTestDatabase(await sharedClickhouse());
  try {
    // A table from before the AI usage fields: created by the collector, then without them.
    await withStore(() => ({ DATABASE_URL: db.url }), async () => undefined);
    for (const c of NEW_COLUMNS) await db.server.sql(`ALTER TABLE ${db.name}.access_logs DROP COLUMN ${c}`);
    await withStore(() => ({ DATABASE_URL: db.url }), async (url, dir) => {
      await checkAiUsage(url, 'ch');
      await checkAiStats(url, false);
      await checkRecompute(url, 'ch', recomputeIn(dir, { DATABASE_URL: db.url }));
    });
    const cols = await db.rows<{ name: string; type: string }>(`SELECT name, type FROM system.columns WHERE database = '${db.name}' AND table = 'access_logs' AND name = 'cost'`);
    assert.deepEqual(cols.map((c) => c.type), ['Nullable(Decimal(18, 10))']);
  } finally {
    await db.drop();
  }
});
