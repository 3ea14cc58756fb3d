// ClickHouse test servers: PRIVATE clickhouse-server processes on free loopback ports, each with
// its own config, users and data directory under a temp dir (never the system service).
// The binary: TEST_CLICKHOUSE_BIN, else /usr/bin/clickhouse or /usr/sbin/clickhouse-server.
// Without one the tests skip with the reason; in CI (CI set) they fail instead.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { tempDir, waitFor } from './helpers.js';

/** The command that runs a server, or undefined when none is installed. */
export function clickhouseCommand(): { cmd: string; args: string[] } | undefined {
  const env = process.env.TEST_CLICKHOUSE_BIN;
  if (env) return /clickhouse$/.test(env) ? { cmd: env, args: ['server'] } : { cmd: env, args: [] };
  if (existsSync('/usr/bin/clickhouse')) return { cmd: '/usr/bin/clickhouse', args: ['server'] };
  if (existsSync('/usr/sbin/clickhouse-server')) return { cmd: '/usr/sbin/clickhouse-server', args: [] };
  return undefined;
}

/** True when a server can be started; else a skip (outside CI) or a failure (in CI). */
export function clickhouseOrSkip(t: Pick<TestContext, 'skip'>): boolean {
  if (clickhouseCommand()) return true;
  const why = 'no clickhouse-server (set TEST_CLICKHOUSE_BIN or install Debian\'s clickhouse-server)';
  if (process.env.CI) throw new Error(`${why}; the ClickHouse tests must run in CI`);
  t.skip(`${why}: ClickHouse tests skipped`);
  return false;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export interface ClickhouseServer {
  httpPort: number;
  tcpPort: number;
  /** Runs one statement over HTTP; the answer's text. */
  sql(query: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

export interface ClusterShard {
  tcpPort: number;
}

function configXml(dir: string, http: number, tcp: number, cluster?: { name: string; shards: ClusterShard[] }): string {
  const remote = cluster
    ? `<remote_servers><${cluster.name}>${cluster.shards
        .map((s) => `<shard><replica><host>127.0.0.1</host><port>${s.tcpPort}</port></replica></shard>`)
        .join('')}</${cluster.name}></remote_servers>`
    : '';
  return `<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>${http}</http_port>
  <tcp_port>${tcp}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${dir}/data/</path>
  <tmp_path>${dir}/tmp/</tmp_path>
  <user_files_path>${dir}/user_files/</user_files_path>
  <format_schema_path>${dir}/format_schemas/</format_schema_path>
  <users_config>${dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>67108864</mark_cache_size>
  <timezone>UTC</timezone>
  ${remote}
</yandex>
`;
}

const USERS_XML = `<?xml version="1.0"?>
<yandex>
  <profiles><default><max_threads>2</max_threads></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
`;

/** Starts a private server; `cluster` adds a remote_servers cluster (for Distributed tables). */
export async function startClickhouse(opts: { httpPort?: number; tcpPort?: number; cluster?: { name: string; shards: ClusterShard[] } } = {}): Promise<ClickhouseServer> {
  const command = clickhouseCommand();
  if (!command) throw new Error('no clickhouse-server binary');
  const dir = tempDir('clickhouse-test-');
  for (const d of ['data', 'tmp', 'user_files', 'format_schemas']) mkdirSync(join(dir, d), { recursive: true });
  const httpPort = opts.httpPort ?? (await freePort());
  const tcpPort = opts.tcpPort ?? (await freePort());
  writeFileSync(join(dir, 'config.xml'), configXml(dir, httpPort, tcpPort, opts.cluster));
  writeFileSync(join(dir, 'users.xml'), USERS_XML);
  // Output to a file and the child unref'd: a running server must not keep the test process alive.
  const log = openSync(join(dir, 'server.log'), 'a');
  const child: ChildProcess = spawn(command.cmd, [...command.args, `--config-file=${join(dir, 'config.xml')}`], { stdio: ['ignore', log, log], cwd: dir });
  closeSync(log);
  child.unref();
  const output = () => readFileSync(join(dir, 'server.log'), 'utf8').slice(-4000);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const kill = () => child.exitCode === null && child.kill('SIGKILL');
  process.once('exit', () => {
    kill();
    rmSync(dir, { recursive: true, force: true });
  });
  const base = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    `clickhouse-server on ${httpPort}`,
    async () => {
      if (child.exitCode !== null) throw new Error(`clickhouse-server exited: ${output()}`);
      return (await fetch(`${base}/ping`).then((r) => r.text()).catch(() => '')) === 'Ok.\n';
    },
    60_000,
    100,
  );
  return {
    httpPort,
    tcpPort,
    async sql(query, database = 'default') {
      const r = await fetch(`${base}/?database=${database}&output_format_json_quote_64bit_integers=0`, { method: 'POST', body: query });
      const text = await r.text();
      if (!r.ok) throw new Error(`${query.slice(0, 200)}: ${text}`);
      return text;
    },
    async stop() {
      kill();
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<ClickhouseServer> | undefined;

/** One server for the whole test file, stopped when the process exits. */
export function sharedClickhouse(): Promise<ClickhouseServer> {
  shared ??= startClickhouse();
  return shared;
}

/** Two servers with a cluster `two` of both, one shard each, for Distributed tables. */
export async function startTwoShards(): Promise<[ClickhouseServer, ClickhouseServer]> {
  const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const cluster = { name: 'two', shards: [{ tcpPort: ports[1] }, { tcpPort: ports[3] }] };
  return Promise.all([
    startClickhouse({ httpPort: ports[0], tcpPort: ports[1], cluster }),
    startClickhouse({ httpPort: ports[2], tcpPort: ports[3], cluster }),
  ]);
}

export interface ChTestDatabase {
  name: string;
  server: ClickhouseServer;
  /** DATABASE_URL of the database, through host:port (a proxy, say) when given. */
  urlVia(host?: string, port?: number, params?: string): string;
  url: string;
  /** Rows of a query, JSONEachRow decoded. */
  rows<T = Record<string, unknown>>(query: string): Promise<T[]>;
  drop(): Promise<void>;
}

/** A uniquely named database (not created: the store creates it) on `server`. */
export function chTestDatabase(server: ClickhouseServer): ChTestDatabase {
  const name = `dblog_${randomBytes(4).toString('hex')}`;
  const urlVia = (host = '127.0.0.1', port = server.httpPort, params = '') => `clickhouse://default@${host}:${port}/${name}${params ? '?' + params : ''}`;
  return {
    name,
    server,
    urlVia,
    url: urlVia(),
    async rows<T>(query: string) {
      const text = await server.sql(`${query} FORMAT JSONEachRow`);
      return text.split('\n').filter(Boolean).map((l) => JSON.parse(l)) as T[];
    },
    async drop() {
      await server.sql(`DROP DATABASE IF EXISTS ${name}`).catch(() => undefined);
    },
  };
}
