#!/usr/bin/env node
// db-log-gateway command line: parses flags into GatewayOptions and runs until SIGINT/SIGTERM.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { LOG_LEVEL_NAMES, type LogLevelName } from './abi.js';
import { startGateway } from './gateway.js';
import { startSupervisedGateway } from './watchdog.js';
import type { PluginOptions } from './vm/types.js';
import { type Flavour, FLAVOURS } from './properties/tables.js';

const HELP = `db-log-gateway: a local HTTP/1.1 reverse proxy that runs proxy-wasm plugins on live traffic

Usage:
  db-log-gateway --upstream URL [--listen HOST:PORT] [--plugin FILE.wasm [--config JSON|@FILE]]...
                 [--cluster NAME=URL]... [--node-id ID] [--node-meta KEY=VALUE]...
                 [--route-name NAME] [--cluster-name NAME] [--fail-open | --fail-closed]
                 [--timeout MS] [--log-level LEVEL] [--watchdog-ms MS] [--flavour higress|upstream]
                 [--concurrency N]

Options:
  --listen HOST:PORT     address to listen on (default 127.0.0.1:10000; port 0 picks a free port)
  --upstream URL         where requests go, e.g. http://127.0.0.1:9000 (required)
  --plugin FILE          a proxy-wasm module (ABI 0.1.0, 0.2.0 or 0.2.1); repeat to build a chain,
                         which runs in the given order on requests and in reverse on responses
  --config JSON|@FILE    plugin configuration for the --plugin before it (the WasmPlugin's config);
                         @FILE reads it from a file
  --vm-config JSON|@FILE VM configuration for the --plugin before it
  --name NAME            plugin_name for the --plugin before it (default: the file name)
  --cluster NAME=URL     maps an Envoy cluster name used by proxy_http_call to an address, e.g.
                         'outbound|80||log-collector.default.svc.cluster.local=http://127.0.0.1:8080'
                         (repeatable)
  --node-id ID           node.id property
  --node-meta KEY=VALUE  node.metadata.KEY property, e.g. POD_NAME=gw-1 (repeatable)
  --route-name NAME      route_name property (default "default")
  --cluster-name NAME    cluster_name property (default outbound|PORT||HOST of --upstream)
  --fail-open            a plugin that traps is skipped from then on
  --fail-closed          a plugin that traps makes requests fail with 503 (default, as in Envoy)
  --concurrency N        workers, each with its own VM of every plugin, as Envoy's --concurrency;
                         each connection is served by one worker (default 2)
  --flavour NAME         which Envoy to play: higress (Higress's fork: node, route_name, cluster_name;
                         default) or upstream (Envoy 1.33+: xds.* properties)
  --timeout MS           route timeout: 504 if no response started by then (default 15000)
  --log-level LEVEL      trace|debug|info|warn|error|critical for gateway and plugin logs (default info)
  --watchdog-ms MS       the proxy runs in a worker thread; if a plugin callback blocks it longer than
                         this, the worker is replaced and that plugin disabled (fail open/closed as
                         set); 0 runs in-process without a watchdog (default 5000)
  -h, --help             show this help

Logs are JSON lines on stderr. SIGINT/SIGTERM drain in-flight requests and shut plugins down
(proxy_on_done; a plugin may finish pending work before proxy_done).
`;

function readValue(v: string): string {
  return v.startsWith('@') ? readFileSync(v.slice(1), 'utf8') : v;
}

function fail(msg: string): never {
  process.stderr.write(`db-log-gateway: ${msg}\nTry --help.\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: false,
      tokens: true,
      options: {
        listen: { type: 'string' },
        upstream: { type: 'string' },
        plugin: { type: 'string', multiple: true },
        config: { type: 'string', multiple: true },
        'vm-config': { type: 'string', multiple: true },
        name: { type: 'string', multiple: true },
        cluster: { type: 'string', multiple: true },
        'node-id': { type: 'string' },
        'node-meta': { type: 'string', multiple: true },
        'route-name': { type: 'string' },
        'cluster-name': { type: 'string' },
        'fail-open': { type: 'boolean' },
        'fail-closed': { type: 'boolean' },
        timeout: { type: 'string' },
        flavour: { type: 'string' },
        concurrency: { type: 'string' },
        'watchdog-ms': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    fail((e as Error).message);
  }
  const { values, tokens } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  if (!values.upstream) fail('--upstream is required');
  const plugins: PluginOptions[] = [];
  for (const t of tokens ?? []) {
    if (t.kind !== 'option' || t.value === undefined) continue;
    if (t.name === 'plugin') plugins.push({ wasm: t.value });
    else if (t.name === 'config' || t.name === 'vm-config' || t.name === 'name') {
      const last = plugins[plugins.length - 1];
      if (!last) fail(`--${t.name} must follow a --plugin`);
      if (t.name === 'config') last.configuration = readValue(t.value);
      else if (t.name === 'vm-config') last.vmConfiguration = readValue(t.value);
      else last.name = t.value;
    }
  }
  const clusters: Record<string, string> = {};
  for (const c of values.cluster ?? []) {
    const i = c.indexOf('=');
    if (i <= 0) fail(`--cluster expects NAME=URL, got ${c}`);
    clusters[c.slice(0, i)] = c.slice(i + 1);
  }
  const nodeMetadata: Record<string, string> = {};
  for (const kv of values['node-meta'] ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) fail(`--node-meta expects KEY=VALUE, got ${kv}`);
    nodeMetadata[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const logLevel = (values['log-level'] ?? 'info') as LogLevelName;
  if (!LOG_LEVEL_NAMES.includes(logLevel)) fail(`--log-level must be one of ${LOG_LEVEL_NAMES.join('|')}`);
  if (values['fail-open'] && values['fail-closed']) fail('--fail-open and --fail-closed exclude each other');
  const flavour = (values.flavour ?? 'higress') as Flavour;
  if (!FLAVOURS.includes(flavour)) fail(`--flavour must be one of ${FLAVOURS.join('|')}`);
  const concurrency = values.concurrency === undefined ? 2 : Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) fail('--concurrency expects a number of workers from 1 to 64');
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(timeoutMs > 0)) fail('--timeout expects a positive number of milliseconds');

  const watchdogMs = values['watchdog-ms'] === undefined ? 5000 : Number(values['watchdog-ms']);
  if (!(watchdogMs >= 0)) fail('--watchdog-ms expects a number of milliseconds (0 disables the watchdog)');

  let gw: { close(): Promise<void> };
  try {
    const options = {
      listen: values.listen,
      upstream: values.upstream,
      plugins,
      clusters,
      nodeId: values['node-id'],
      nodeMetadata,
      routeName: values['route-name'],
      clusterName: values['cluster-name'],
      failOpen: values['fail-open'] === true,
      flavour,
      concurrency,
      timeoutMs,
      logLevel,
    };
    gw = watchdogMs > 0 ? await startSupervisedGateway(options, watchdogMs) : await startGateway(options);
  } catch (e) {
    fail((e as Error).message);
  }
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'shutting down', signal: sig })}\n`);
    gw.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
