// Configuration: environment and flags, the Go DSN, validation, and the CLI's --help and exit codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { ConfigError, OPTIONS, helpText, loadConfig, parseGoMysqlDsn } from '../src/index.js';
import { CLI } from './helpers.js';

test('defaults: port 8080, SQLite under ./data, the seed batch defaults', () => {
  const c = loadConfig({}, []);
  assert.equal(c.port, 8080);
  assert.equal(c.flushSize, 50);
  assert.equal(c.retentionDays, 0, 'RETENTION_DAYS unset keeps every row');
  assert.equal(loadConfig({}, ['--retention-days', '30']).retentionDays, 30);
  assert.equal(c.flushIntervalMs, 1000);
  assert.equal(c.dataDir, resolve('./data'));
  assert.deepEqual(c.database, { kind: 'sqlite', file: resolve('./data/access_logs.db') });
  assert.equal(c.ingestToken, undefined);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.ingestPort, undefined);
  assert.equal(c.metricsToken, undefined);
  assert.equal(c.requestTimeoutMs, 30_000);
});

test("the seed's Go-format MYSQL_DSN", () => {
  const d = parseGoMysqlDsn('user:password@tcp(mysql-host:3306)/higress_poc?charset=utf8mb4&parseTime=True&loc=Local');
  assert.deepEqual(d, { kind: 'mysql', host: 'mysql-host', port: 3306, user: 'user', password: 'password', database: 'higress_poc', connectTimeoutMs: 5000 });
  // Passwords may hold @, / and :, as the Go driver allows (last @ and last / split).
  const p = parseGoMysqlDsn('app:p@ss/w:rd@tcp(10.0.0.1:3307)/logs?timeout=2s');
  assert.equal(p.password, 'p@ss/w:rd');
  assert.equal(p.host, '10.0.0.1');
  assert.equal(p.port, 3307);
  assert.equal(p.connectTimeoutMs, 2000);
  assert.equal(parseGoMysqlDsn('root@tcp(db)/x').port, 3306);
  assert.equal(parseGoMysqlDsn('root@tcp([::1]:3306)/x').host, '::1');
  assert.equal(parseGoMysqlDsn('/x').host, '127.0.0.1');
  assert.throws(() => parseGoMysqlDsn('user:pw@unix(/tmp/mysql.sock)/x'), /only the tcp protocol/);
  assert.throws(() => parseGoMysqlDsn('user:pw@tcp(h:3306)/'), /no database name/);
  assert.throws(() => parseGoMysqlDsn('user:pw@tcp(h:3306)/x?charset=latin1'), /utf8mb4/);
  assert.throws(() => parseGoMysqlDsn('user:pw@tcp(h:99999)/x'), /port/);
});

test('DATABASE_URL: mysql://, postgres:// and sqlite:, MYSQL_DSN wins', () => {
  const m = loadConfig({ DATABASE_URL: 'mysql://u:p%40ss@db.example:3310/logs' }, []);
  assert.deepEqual(m.database, { kind: 'mysql', host: 'db.example', port: 3310, user: 'u', password: 'p@ss', database: 'logs', connectTimeoutMs: 5000 });
  const s = loadConfig({ DATABASE_URL: 'sqlite:/var/lib/x.db' }, []);
  assert.deepEqual(s.database, { kind: 'sqlite', file: '/var/lib/x.db' });
  const both = loadConfig({ DATABASE_URL: 'sqlite:/x.db', MYSQL_DSN: 'a@tcp(h:1)/d' }, []);
  assert.equal(both.database.kind, 'mysql');
  assert.equal(loadConfig({ DATABASE_URL: 'postgres://h/db' }, []).database.kind, 'postgres');
  assert.throws(() => loadConfig({ DATABASE_URL: 'redis://h/db' }, []), /scheme "redis:" is not supported \(use mysql:\/\/, postgres:\/\/, clickhouse:\/\/ or sqlite:\)/);
});

test('flags override the environment; sizes take units', () => {
  const c = loadConfig({ PORT: '9000', FLUSH_SIZE: '10', BODY_LIMIT: '1mb' }, ['--port', '9100', '--spool-max-bytes=2gb', '--ingest-token', 'abc', '--log-level', 'DEBUG']);
  assert.equal(c.port, 9100);
  assert.equal(c.flushSize, 10);
  assert.equal(c.bodyLimit, 1024 * 1024);
  assert.equal(c.spoolMaxBytes, 2 * 1024 ** 3);
  assert.equal(c.ingestToken, 'abc');
  assert.equal(c.logLevel, 'debug');
});

test('invalid values are ConfigErrors that name the setting', () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ PORT: 'eighty' }, [], /PORT must be a whole number/],
    [{ PORT: '70000' }, [], /PORT must be between/],
    [{ FLUSH_SIZE: '0' }, [], /FLUSH_SIZE/],
    [{ FLUSH_SIZE: '2000' }, [], /FLUSH_SIZE .* must not exceed MAX_BATCH_ROWS/],
    [{ BODY_LIMIT: '10 parsecs' }, [], /BODY_LIMIT must be a size/],
    [{ LOG_LEVEL: 'loud' }, [], /LOG_LEVEL/],
    [{ MYSQL_DSN: 'nonsense' }, [], /MYSQL_DSN/],
    [{}, ['--no-such-flag'], /no-such-flag/],
    [{ PORT: '8080', INGEST_PORT: '8080' }, [], /INGEST_PORT \(8080\) must differ from PORT/],
    [{ INGEST_PORT: 'x' }, [], /INGEST_PORT must be a whole number/],
    [{ REQUEST_TIMEOUT_MS: '5' }, [], /REQUEST_TIMEOUT_MS must be between/],
  ];
  for (const [env, argv, re] of cases) {
    assert.throws(() => loadConfig(env, argv), (e: unknown) => e instanceof ConfigError && re.test((e as Error).message), JSON.stringify([env, argv]));
  }
});

test('the CLI: --help lists every option with its default; bad config exits with code 2', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  const help = run(['--help']);
  assert.equal(help.status, 0, help.stderr);
  assert.equal(help.stdout, helpText() + '\n');
  for (const o of OPTIONS) {
    assert.ok(help.stdout.includes(`--${o.flag}`), o.flag);
    assert.ok(help.stdout.includes(o.env), o.env);
  }
  assert.match(help.stdout, /--flush-size <FLUSH_SIZE>.*\(default 50\)/);
  // Every description starts in the same column, however long the option.
  const columns = new Set(help.stdout.split('\n').filter((l) => l.startsWith('  -')).map((l) => /^\s+-\S.*?\S\s{2,}\S/.exec(l)![0].length - 1));
  assert.equal(columns.size, 1, `descriptions start in columns ${[...columns].join(', ')}`);
  const bad = run([], { PORT: 'x' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /log-collector: PORT must be a whole number/);
  const badFlag = run(['--frobnicate']);
  assert.equal(badFlag.status, 2);
});

test("the READMEs' configuration tables match the code (the package's and the repository's)", async () => {
  const { readFileSync } = await import('node:fs');
  for (const url of [new URL('../README.md', import.meta.url), new URL('../../../README.md', import.meta.url)]) {
    const readme = readFileSync(url, 'utf8');
    for (const o of OPTIONS) {
      const row = `| \`${o.env}\` | \`--${o.flag}\` | ${o.def !== undefined ? '`' + o.def + '`' : '—'} |`;
      assert.ok(readme.includes(row), `${url.pathname}: row for ${o.env}: ${row}`);
    }
  }
});
