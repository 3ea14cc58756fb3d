// `log-collector drain`: a spool left behind by a collector that is gone (a replica scaled down
// while its database was away) is emptied into the database by the real CLI, once, and a second
// drain adds nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCollector } from '../src/index.js';
import { CLI, createTestDatabase, mysqlUrlOrSkip, post, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';
import { startProxy } from './tcp-proxy.js';

/** Runs `log-collector drain …` to its end; resolves with the exit code and the output. */
function runDrain(args: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, 'drain', ...args], { env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}

test('drain empties a spool written by another collector into MariaDB: nothing lost, nothing twice', async (t) => {
  const url = mysqlUrlOrSkip(t);
  if (!url) return;
  const db = await createTestDatabase(url);
  const proxy = await startProxy(db.host, db.port);
  const dir = tempDir();
  const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => `drain-${from + i}`);
  const ingest = async (base: string, list: string[]) => {
    for (let i = 0; i < list.length; i += 50) {
      const body = list.slice(i, i + 50).map((id) => JSON.stringify(smallRecord(id))).join('\n');
      assert.equal((await post(`${base}/ingest`, body, 'application/x-ndjson')).status, 200);
    }
  };
  const counts = async () => db.rows<{ n: number; d: number }>("SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS d FROM access_logs WHERE request_id LIKE 'drain-%'");
  try {
    const proxied = `${db.user}${db.password ? ':' + db.password : ''}@tcp(127.0.0.1:${proxy.port})/${db.name}?timeout=1s`;
    const c = await startCollector(testConfig(dir, { MYSQL_DSN: proxied, SHUTDOWN_TIMEOUT_MS: '300' }));
    try {
      // Part of the spool reaches the database, the rest waits in it while the database is away.
      await ingest(c.url, ids(0, 100));
      await waitFor('the first 100 stored', async () => Number((await counts())[0].n) === 100);
      proxy.cut();
      await ingest(c.url, ids(100, 300));
      // The spool belongs to the running collector: a drain is refused and changes nothing.
      const refused = await runDrain(['--data-dir', dir, '--mysql-dsn', db.goDsn]);
      assert.notEqual(refused.code, 0);
      assert.match(refused.out, /in use by process/);
    } finally {
      await c.close();
    }
    assert.equal(Number((await counts())[0].n), 100, 'the collector stopped with 300 records in its spool');

    const first = await runDrain(['--data-dir', dir, '--mysql-dsn', db.goDsn]);
    assert.equal(first.code, 0, first.out);
    assert.match(first.out, /"written":300\b.*"msg":"spool drained"/);
    assert.deepEqual((await counts()).map((r) => [Number(r.n), Number(r.d)]), [[400, 400]]);
    const rows = await db.rows<{ request_id: string }>("SELECT request_id FROM access_logs WHERE request_id LIKE 'drain-%'");
    assert.deepEqual(new Set(rows.map((r) => r.request_id)), new Set(ids(0, 400)));

    const mistyped = await runDrain(['--data-dir', `${dir}-nowhere`, '--mysql-dsn', db.goDsn]);
    assert.equal(mistyped.code, 1);
    assert.match(mistyped.out, /no spool under/);

    const again = await runDrain(['--data-dir', dir, '--mysql-dsn', db.goDsn]);
    assert.equal(again.code, 0, again.out);
    assert.match(again.out, /"written":0\b/);
    assert.deepEqual((await counts()).map((r) => [Number(r.n), Number(r.d)]), [[400, 400]]);
  } finally {
    await proxy.close();
    await db.drop();
    removeDir(dir);
  }
});
