// Shared test helpers: temp dirs, a per-file MariaDB database, sample records, a child-process collector.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { FIELDS, SEED_TABLE_SQL_PATH, type AccessLogRecord } from '@db-log-pusher/schema';
import { loadConfig, type CollectorConfig } from '../src/index.js';

export const CLI = new URL('../src/cli.ts', import.meta.url).pathname;

export function tempDir(prefix = 'collector-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Config for an in-process collector on a free loopback port with a temp DATA_DIR. */
export function testConfig(dataDir: string, env: Record<string, string> = {}): CollectorConfig {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50', ...env }, []);
}

/**
 * TEST_MYSQL_URL, or a skip with the reason. In CI (CI set) a missing URL fails the test,
 * so the MySQL tests can never be skipped there silently.
 */
export function mysqlUrlOrSkip(t: TestContext): string | undefined {
  const url = process.env.TEST_MYSQL_URL;
  if (url) return url;
  if (process.env.CI) throw new Error('TEST_MYSQL_URL is not set in CI; the MySQL tests must run');
  t.skip('TEST_MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/dblog_test): MySQL tests skipped');
  return undefined;
}

export interface TestDatabase {
  name: string;
  host: string;
  port: number;
  user: string;
  password: string;
  /** Go driver format, as in the seed's manifests. */
  goDsn: string;
  url: string;
  conn: mysql.Connection;
  /** Rows of a query on the test database. */
  rows<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** Creates a uniquely named database on the server of TEST_MYSQL_URL. */
export async function createTestDatabase(baseUrl: string): Promise<TestDatabase> {
  const u = new URL(baseUrl);
  const name = `dblog_collector_${randomBytes(4).toString('hex')}`;
  const host = u.hostname || '127.0.0.1';
  const port = Number(u.port || 3306);
  const user = decodeURIComponent(u.username);
  const password = decodeURIComponent(u.password);
  const admin = await mysql.createConnection({ host, port, user, password, multipleStatements: true, dateStrings: true, timezone: 'Z' });
  await admin.query(`CREATE DATABASE ${name} DEFAULT CHARACTER SET utf8mb4`);
  await admin.query(`USE ${name}`);
  const cred = password ? `${user}:${password}` : user;
  return {
    name,
    host,
    port,
    user,
    password,
    goDsn: `${cred}@tcp(${host}:${port})/${name}?charset=utf8mb4&parseTime=True&loc=Local`,
    url: `mysql://${encodeURIComponent(user)}${password ? ':' + encodeURIComponent(password) : ''}@${host}:${port}/${name}`,
    conn: admin,
    async rows<T>(sql: string, params: unknown[] = []) {
      const [r] = await admin.query(sql, params);
      return r as T[];
    },
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
      await admin.end().catch(() => undefined);
    },
  };
}

/** The seed's table, created verbatim from seed/access_logs.sql but inside the test database. */
export async function createSeedTable(db: TestDatabase): Promise<void> {
  const sql = readFileSync(SEED_TABLE_SQL_PATH, 'utf8')
    .split('\n')
    .filter((l) => !/^\s*(CREATE DATABASE|USE)\b/i.test(l))
    .join('\n');
  await db.conn.query(sql);
}

/** A record with every wire field set, including quotes, unicode and SQL metacharacters. */
export function fullRecord(i: number, ms = 123): Record<string, unknown> {
  const rec: Record<string, unknown> = {};
  for (const f of FIELDS) {
    switch (f.json) {
      case 'integer':
        rec[f.name] = f.name === 'response_code' ? 200 + (i % 3) : 1000 + i;
        break;
      case 'number':
        // A decimal every store keeps exactly (10 places).
        rec[f.name] = 0.0012345678 + i;
        break;
      case 'object':
        rec[f.name] = { model: 'qwen-max', usage: { input: 3, output: 4 }, note: "it's \"quoted\" \\ 中文 😀" };
        break;
      case 'string-map':
        rec[f.name] = { 'content-type': 'application/json', 'x-i': String(i) };
        break;
      default:
        rec[f.name] = `${f.name}-${i}-'"\\;%_ 中文`.slice(0, 'maxLength' in f ? f.maxLength : 1000);
    }
  }
  rec.start_time = new Date(Date.UTC(2024, 4, 1, 12, 0, i % 60, ms)).toISOString();
  rec.method = ['GET', 'POST', 'PUT'][i % 3];
  rec.request_id = `req-${i}`;
  return rec;
}

/** A small record like the reference plugin posts, with a unique request_id. */
export function smallRecord(id: string, extra: Partial<AccessLogRecord> = {}): Record<string, unknown> {
  return {
    start_time: new Date().toISOString(),
    authority: 'api.example.com',
    method: 'POST',
    path: '/v1/chat/completions',
    protocol: 'HTTP/1.1',
    request_id: id,
    response_code: 200,
    duration: 12,
    model: 'qwen-turbo',
    input_tokens: 10,
    output_tokens: 20,
    total_tokens: 30,
    ...extra,
  };
}

export async function post(url: string, body: string, type = 'application/json', headers: Record<string, string> = {}): Promise<{ status: number; json: any; headers: Headers }> {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': type, ...headers }, body });
  return { status: r.status, json: await jsonOrText(r), headers: r.headers };
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const r = await fetch(url, { headers });
  return { status: r.status, json: await jsonOrText(r) };
}

/** The body parsed as JSON, or its text when it is not JSON (error pages, `ok`). */
async function jsonOrText(r: Response): Promise<unknown> {
  const text = await r.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The one stored row of a request id, once /query has it (for a collector's `url`). */
export async function queryOne(c: { url: string }, requestId: string): Promise<any> {
  return waitFor(`row ${requestId}`, async () => {
    const r = await getJson(`${c.url}/query?request_id=${encodeURIComponent(requestId)}`);
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json.total === 1 ? r.json.logs[0] : undefined;
  });
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 30_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface ChildCollector {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts the real `log-collector` CLI as a child process and waits until it listens. */
export async function spawnCollector(env: Record<string, string>): Promise<ChildCollector> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = await waitFor(
    'the collector to listen',
    () => {
      if (child.exitCode !== null) throw new Error(`collector exited with ${child.exitCode}: ${out}`);
      const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
      return m ? m[1] : undefined;
    },
    30_000,
  );
  return { child, url, output: () => out, exited };
}
