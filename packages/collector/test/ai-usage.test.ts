// AI usage fields and cost on every store: derived from ai_log as ai-statistics writes it, priced
// at ingest from PRICES_FILE (exact, prefix and provider-prefixed names, an unpriced model).
import { test } from 'node:test';
import pino from 'pino';
import { Writable } from 'node:stream';
import assert from 'node:assert/strict';
import { startCollector } from '../src/index.js';
import { checkAiStats, checkAiUsage, writeTestPrices } from './ai-usage-cases.js';
import { createSeedTable, createTestDatabase, mysqlUrlOrSkip, removeDir, tempDir, testConfig } from './helpers.js';
import { createPgTestDatabase, postgresUrlOrSkip } from './postgres-helpers.js';

const NEW_COLUMNS = ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'llm_first_token_duration', 'llm_service_duration', 'response_type', 'session_id', 'cost'];

async function withStore(env: (dir: string) => Record<string, string>, fn: (url: string) => Promise<void>, logger?: pino.Logger): Promise<void> {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { PRICES_FILE: writeTestPrices(dir), ...env(dir) }), logger ? { logger } : {});
  try {
    await fn(c.url);
  } finally {
    await c.close();
    removeDir(dir);
  }
}

test('SQLite: AI usage fields derived from ai_log and priced at ingest', async () => {
  await withStore(() => ({}), async (url) => { await checkAiUsage(url, 'sqlite'); await checkAiStats(url, false); });
});

test('MariaDB (table created by the collector): AI usage fields and cost', async (t) => {
  const base = mysqlUrlOrSkip(t);
  if (!base) return;
  const db = await createTestDatabase(base);
  try {
    await withStore(() => ({ DATABASE_URL: db.url }), async (url) => { await checkAiUsage(url, 'mysql'); await checkAiStats(url, false); });
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
    await withStore(() => ({ MYSQL_DSN: dsn }), async (url) => { await checkAiUsage(url, 'seed', NEW_COLUMNS); await checkAiStats(url, true); }, logger);
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
    await withStore(() => ({ DATABASE_URL: db.url }), async (url) => { await checkAiUsage(url, 'pg'); await checkAiStats(url, false); });
    const [col] = await db.rows<{ p: number; s: number }>("SELECT numeric_precision AS p, numeric_scale AS s FROM information_schema.columns WHERE table_name = 'access_logs' AND column_name = 'cost'");
    assert.deepEqual([col.p, col.s], [18, 10]);
  } finally {
    await db.drop();
  }
});
