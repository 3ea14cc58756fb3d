// `npm run demo`: the whole pipeline on this machine, in one process.
//
//   traffic generator ──► db-log-gateway (the real db-log-pusher.wasm) ──► mock LLM / MCP upstream
//                                 │ records, batched by the plugin
//                                 ▼
//                           log-collector (SQLite) ──► dashboard at http://127.0.0.1:8080/
//
// Everything listens on 127.0.0.1 only; the traffic is bounded (--requests, --rate). Ctrl-C stops
// the traffic, lets the plugin flush, closes the gateways, drains the collector and exits.
import { existsSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, startCollector, type RunningCollector } from '@db-log-pusher/collector';
import { startMockLlm, type MockLlm } from '@db-log-pusher/mock-llm';
import { startGateway, type Gateway } from '@db-log-pusher/wasm-host';

const HELP = `npm run demo -- [options]

Starts the log collector (SQLite in a temporary DATA_DIR), a mock OpenAI/Anthropic/MCP upstream,
db-log-gateway instances running packages/pusher/build/db-log-pusher.wasm in front of it (an AI
route, an MCP route, and a fallback route whose ai_log records fallback_from), and a traffic
generator; prints the URLs to open.

Options:
  --port N            collector and dashboard port (default 8080; a free one if taken)
  --gateway-port N    first gateway port (default 10000; the MCP and fallback gateways take the next two;
                      free ones if taken)
  --rate N            requests per second generated (default 8, max 200)
  --requests N        stop generating after N requests (default 5000, max 100000)
  --data-dir DIR      keep the collector's data in DIR instead of a temporary directory
  --screenshot FILE   after --screenshot-after seconds of traffic, save PNGs of the dashboard: the
                      overview to FILE, the consumer, MCP and log views beside it (FILE-consumers.png,
                      FILE-mcp.png, FILE-logs.png); headless Chromium at /usr/bin/chromium or CHROMIUM_PATH
  --screenshot-after S  seconds of traffic before the screenshot (default 40)
  --exit-after-screenshot  stop everything once the screenshot is saved
  -h, --help          this text

Ctrl-C stops everything cleanly.`;

const WASM = resolve('packages/pusher/build/db-log-pusher.wasm');
// A small plugin built with the pusher's test fixtures that writes `ai_log` into filter state as
// Higress's ai-statistics does; the demo's fallback route uses it to record `fallback_from`, the
// attribute Higress's AI observability set-up logs for a model fallback.
const AI_LOG_WRITER = resolve('packages/pusher/build/fixtures/ai-log-writer.wasm');
const COLLECTOR_FQDN = 'log-collector.demo.svc.cluster.local';

function intOpt(v: string | undefined, name: string, def: number, min: number, max: number): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
    process.exit(2);
  }
  return n;
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        port: { type: 'string' },
        'gateway-port': { type: 'string' },
        rate: { type: 'string' },
        requests: { type: 'string' },
        'data-dir': { type: 'string' },
        screenshot: { type: 'string' },
        'screenshot-after': { type: 'string' },
        'exit-after-screenshot': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
})();
if (args.help) {
  console.log(HELP);
  process.exit(0);
}
const PORT = intOpt(args.port, 'port', 8080, 0, 65535);
const GW_PORT = intOpt(args['gateway-port'], 'gateway-port', 10000, 0, 65534);
const RATE = intOpt(args.rate, 'rate', 8, 1, 200);
const MAX_REQUESTS = intOpt(args.requests, 'requests', 5000, 1, 100_000);
const SHOT_AFTER = intOpt(args['screenshot-after'], 'screenshot-after', 40, 1, 3600);

function info(msg: string): void {
  console.log(`[demo] ${msg}`);
}

function isAddrInUse(e: unknown): boolean {
  return (e as { code?: string })?.code === 'EADDRINUSE' || /EADDRINUSE/.test(String((e as Error)?.message));
}

/** Starts on the preferred port, or on a free one when it is taken (and says so). */
async function onPort<T>(what: string, port: number, start: (port: number) => Promise<T>): Promise<T> {
  try {
    return await start(port);
  } catch (e) {
    if (port === 0 || !isAddrInUse(e)) throw e;
    info(`port ${port} is taken; ${what} uses a free port instead`);
    return start(0);
  }
}

// ---- the traffic ---------------------------------------------------------------------------------

// Models, one of them self-hosted (no list price), consumers with their share of the traffic, and
// MCP servers with the tools each offers.
const MODELS = ['gpt-4o', 'gpt-4o-mini', 'qwen-max', 'deepseek-chat', 'llama-3.1-70b'];
const CONSUMERS: [name: string, weight: number][] = [
  ['team-search', 5], ['team-support', 4], ['mobile-app', 4], ['batch-jobs', 3], ['data-science', 2], ['partner-api', 2],
];
// A consumer over its quota: the gateway's rate limit answers most of its excess with 429.
const OVER_QUOTA = 'partner-api';
const CLIENTS = Array.from({ length: 24 }, (_, i) => `203.0.113.${10 + i}`);
const MCP_SERVERS: Record<string, string[]> = {
  docs: ['search', 'read_file'],
  ticketing: ['create_ticket', 'get_ticket'],
  weather: ['get_weather'],
};
const PROMPTS = [
  'Summarise the attached incident report in three bullet points.',
  'Translate this paragraph into French and keep the formatting.',
  'Write a SQL query that lists the ten slowest endpoints of the last day.',
  'What is the capital of Australia?',
  'Draft a polite reply to a customer asking for a refund on a duplicate order, mention the ticket number and the expected timeline.',
];

/** A small seeded PRNG so two demo runs generate the same mix. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Traffic {
  stop(): Promise<void>;
  sent(): number;
  failed(): number;
}

function startTraffic(aiGateway: string, mcpGateway: string, fallbackGateway: string | undefined): Traffic {
  const rnd = prng(2024);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const weights = CONSUMERS.reduce((n, [, w]) => n + w, 0);
  const pickConsumer = (): string => {
    let x = rnd() * weights;
    for (const [name, w] of CONSUMERS) if ((x -= w) < 0) return name;
    return CONSUMERS[0][0];
  };
  let sent = 0;
  let followUps = 0;
  let failed = 0;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();

  const one = async (i: number): Promise<void> => {
    const consumer = pickConsumer();
    const client = pick(CLIENTS);
    const trace = (BigInt(Date.now()) * 1000n + BigInt(i)).toString(16).padStart(16, '0');
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-mse-consumer': consumer,
      'x-forwarded-for': `${client}, 10.0.0.2`,
      'x-b3-traceid': trace,
      'user-agent': pick(['openai-python/1.54.0', 'curl/8.5.0', 'demo-app/2.1']),
      authorization: 'Bearer sk-demo-not-a-real-key',
    };
    // Errors: server errors, a few client errors, and rate limiting (most of it for the consumer over quota).
    const r = rnd();
    if (r < 0.03) headers['x-mock-status'] = '503';
    else if (r < 0.05) headers['x-mock-status'] = '500';
    else if (r < 0.06) headers['x-mock-status'] = '401';
    else if (r < 0.07) headers['x-mock-status'] = '404';
    else if (r < (consumer === OVER_QUOTA ? 0.4 : 0.1)) headers['x-mock-status'] = '429';
    headers['x-mock-latency-ms'] = String(Math.floor(30 + rnd() * rnd() * 900));
    const kind = rnd();
    let url: string;
    let body: unknown;
    if (kind < 0.18) {
      // An MCP tool call through the MCP route; some tools are slower than others.
      const server = pick(Object.keys(MCP_SERVERS));
      const tool = pick(MCP_SERVERS[server]);
      headers['x-envoy-mcp-server-name'] = server;
      if (tool === 'read_file' || tool === 'create_ticket') headers['x-mock-latency-ms'] = String(Math.floor(200 + rnd() * 1200));
      url = `${mcpGateway}/mcp`;
      body = { jsonrpc: '2.0', id: i, method: 'tools/call', params: { name: tool, arguments: { q: pick(PROMPTS).slice(0, 30) } } };
    } else if (kind < 0.24) {
      // The OpenAI Responses API.
      url = `${aiGateway}/v1/responses`;
      body = { model: pick(['gpt-4o', 'gpt-4o-mini']), stream: rnd() < 0.3, input: pick(PROMPTS) };
    } else if (kind < 0.34) {
      url = `${aiGateway}/v1/messages`;
      body = { model: 'claude-3-5-sonnet', max_tokens: 16 + Math.floor(rnd() * 200), stream: rnd() < 0.5, messages: [{ role: 'user', content: [{ type: 'text', text: pick(PROMPTS), ...(rnd() < 0.5 ? { cache_control: { type: 'ephemeral' } } : {}) }] }] };
    } else {
      const stream = rnd() < 0.4;
      // Now and then the primary model is "down" and the request is served on the fallback route.
      url = `${fallbackGateway && rnd() < 0.06 ? fallbackGateway : aiGateway}/v1/chat/completions`;
      body = {
        model: pick(MODELS),
        stream,
        ...(stream ? { stream_options: { include_usage: true } } : {}),
        // Some with a prompt cache and reasoning, so that the cached and reasoning columns fill.
        ...(rnd() < 0.5 ? { prompt_cache_key: 'demo' } : {}),
        ...(rnd() < 0.2 ? { reasoning_effort: 'low' } : {}),
        max_tokens: 8 + Math.floor(rnd() * 240),
        messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: pick(PROMPTS).repeat(1 + Math.floor(rnd() * 4)) }],
      };
    }
    try {
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
      await res.arrayBuffer();
      // A second call in the same trace now and then, as an agent would make.
      if (url.endsWith('/chat/completions') && rnd() < 0.15) {
        followUps++;
        const again = await fetch(url, { method: 'POST', headers: { ...headers, 'x-mock-status': '' }, body: JSON.stringify(body), signal: AbortSignal.timeout(20_000) });
        await again.arrayBuffer();
      }
    } catch {
      failed++;
    }
  };

  const timer = setInterval(() => {
    if (stopped) return;
    if (sent >= MAX_REQUESTS) {
      clearInterval(timer);
      info(`sent ${sent} requests (--requests); traffic stopped, everything keeps running until Ctrl-C`);
      return;
    }
    // A little burstiness: between 0 and 2x the rate in each tenth of a second.
    const n = Math.floor((RATE / 10) * 2 * rnd() + rnd());
    for (let k = 0; k < n && sent < MAX_REQUESTS; k++) {
      const p = one(sent++).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
  }, 100);

  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
    sent: () => sent + followUps,
    failed: () => failed,
  };
}

// ---- the screenshot --------------------------------------------------------------------------------

/**
 * Saves the overview (since the traffic started) to `file`, the consumer and MCP views beside it
 * (`-consumers.png`, `-mcp.png`), and the log explorer with one record open (`-logs.png`).
 */
async function screenshot(dashboardUrl: string, file: string, sinceMs: number): Promise<void> {
  const { chromium } = await import('playwright-core');
  const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(executablePath)) throw new Error(`${executablePath} is missing (apt-get install chromium)`);
  const browser = await chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const sibling = (suffix: string) => `${file.replace(/\.png$/, '')}-${suffix}.png`;
  const range = `start=${new Date(sinceMs).toISOString()}&end=${new Date().toISOString()}&live=off`;
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 1180 }, deviceScaleFactor: 1 });
    mkdirSync(dirname(resolve(file)), { recursive: true });
    const shoot = async (hash: string, ready: string, path: string) => {
      await page.goto(`${dashboardUrl}${hash}`);
      await page.locator(ready).first().waitFor({ timeout: 15_000 });
      await page.waitForTimeout(700);
      await page.screenshot({ path, fullPage: true });
    };
    await shoot(`#/?${range}`, '[data-testid=top-model] tbody tr', file);
    await shoot(`#/consumers?${range}`, '[data-testid=top-model] tbody tr', sibling('consumers'));
    await shoot(`#/mcp?${range}`, '[data-testid=top-mcp_tool] tbody tr', sibling('mcp'));
    // The log explorer with the newest chat completion open (captured headers and bodies).
    await page.goto(`${dashboardUrl}#/logs?path=/v1/chat/completions&response_code=200`);
    await page.locator('[data-testid=log-row]').first().click({ timeout: 15_000 });
    await page.locator('[data-testid=detail]').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: sibling('logs') });
  } finally {
    await browser.close();
  }
}

// ---- main ----------------------------------------------------------------------------------------

async function main(): Promise<void> {
  if (!existsSync(WASM)) {
    console.error(`${WASM} is missing: run \`npm run build\` first (npm run demo does it).`);
    process.exit(1);
  }
  const dataDir = args['data-dir'] ? resolve(args['data-dir']) : mkdtempSync(join(tmpdir(), 'db-log-pusher-demo-'));
  const ownDataDir = !args['data-dir'];

  let collector: RunningCollector | undefined;
  let llm: MockLlm | undefined;
  const gateways: Gateway[] = [];
  let traffic: Traffic | undefined;
  let stopping = false;

  const shutdown = async (code: number): Promise<never> => {
    if (stopping) process.exit(code);
    stopping = true;
    info('stopping: traffic, then the gateways (the plugin flushes its last records), then the collector');
    const force = setTimeout(() => {
      console.error('[demo] shutdown is taking too long; exiting');
      process.exit(1);
    }, 20_000);
    force.unref();
    await traffic?.stop();
    // Give the plugin one flush interval to send what it holds before its VM is closed.
    await new Promise((r) => setTimeout(r, 700));
    for (const g of gateways) await g.close().catch((e) => console.error('[demo] gateway close:', e));
    await llm?.close().catch(() => undefined);
    await collector?.close().catch((e) => console.error('[demo] collector close:', e));
    if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
    info(`stopped (${traffic?.sent() ?? 0} requests sent${traffic?.failed() ? `, ${traffic.failed()} failed` : ''})`);
    process.exit(code);
  };
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  try {
    collector = await onPort('the collector', PORT, (port) =>
      startCollector(loadConfig({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '250' }, [])),
    );
    llm = await startMockLlm({ host: '127.0.0.1', port: 0, chunkDelayMs: 15 });
    const cluster = `outbound|${collector.port}||${COLLECTOR_FQDN}`;
    const plugin = (pod: string) => ({
      wasm: WASM,
      name: 'db-log-pusher',
      configuration: {
        collector_service_name: COLLECTOR_FQDN,
        collector_port: collector!.port,
        collector_path: '/ingest',
        batch_size: 50,
        flush_interval_ms: 500,
        capture_headers: true,
        capture_body: true,
        max_body_bytes: 2048,
      },
    });
    const gw = (port: number, route: string, pod: string, before: { wasm: string; name: string; configuration: unknown }[] = []) =>
      onPort(`the ${route} gateway`, port, (p) =>
        startGateway({
          listen: `127.0.0.1:${p}`,
          upstream: llm!.url,
          plugins: [...before, plugin(pod)],
          clusters: { [cluster]: collector!.url },
          nodeId: `router~127.0.0.1~${pod}.demo~demo.svc.cluster.local`,
          nodeMetadata: { POD_NAME: pod, NAMESPACE: 'demo' },
          routeName: route,
          clusterName: `outbound|${llm!.port}||llm-upstream.demo.svc.cluster.local`,
          logLevel: 'warn',
        }),
      );
    gateways.push(await gw(GW_PORT, 'ai-route', 'demo-gateway-0'));
    gateways.push(await gw(GW_PORT === 0 ? 0 : GW_PORT + 1, 'mcp-route', 'demo-gateway-1'));
    if (existsSync(AI_LOG_WRITER)) {
      const writer = { wasm: AI_LOG_WRITER, name: 'ai-statistics', configuration: { ai_log: { fallback_from: 'ai-route-gpt-4o', api: 'chat' } } };
      gateways.push(await gw(GW_PORT === 0 ? 0 : GW_PORT + 2, 'ai-route-fallback', 'demo-gateway-0', [writer]));
    } else {
      info(`${AI_LOG_WRITER} is missing: no fallback route (the Fallbacks KPI stays 0)`);
    }
  } catch (e) {
    console.error(`[demo] could not start: ${(e as Error).message}`);
    await shutdown(1);
    return;
  }

  const dash = `${collector.url}/`;
  console.log(`
  db-log-pusher demo is running (Ctrl-C to stop)

    Dashboard        ${dash}#/?range=5m
    Log explorer     ${dash}#/logs
    Query API        ${collector.url}/query?page_size=5
    Statistics API   ${collector.url}/stats?group_by=model&interval=1m
    AI gateway       ${gateways[0].url}   (db-log-pusher.wasm in front of the mock LLM)
    MCP gateway      ${gateways[1].url}${gateways[2] ? `\n    Fallback route   ${gateways[2].url}   (an ai-statistics-like plugin writes ai_log.fallback_from)` : ''}
    Mock upstream    ${llm.url}
    Collector data   ${dataDir}${ownDataDir ? ' (removed on exit; --data-dir keeps it)' : ''}

  Traffic: ${RATE} requests/s, up to ${MAX_REQUESTS} requests. Try one yourself:
    curl -s ${gateways[0].url}/v1/chat/completions -H 'content-type: application/json' \\
      -H 'x-mse-consumer: me' -d '{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}'
`);
  const trafficStart = Date.now();
  traffic = startTraffic(gateways[0].url, gateways[1].url, gateways[2]?.url);

  let last = -1;
  const progress = setInterval(async () => {
    try {
      const r = await fetch(`${collector!.url}/query?page_size=1`);
      const j = (await r.json()) as { total?: number };
      if (typeof j.total === 'number' && j.total !== last) {
        last = j.total;
        info(`${traffic!.sent()} requests sent, ${j.total} records stored`);
      }
    } catch {
      /* the collector is shutting down */
    }
  }, 5000);
  progress.unref();

  if (args.screenshot) {
    const file = resolve(args.screenshot);
    setTimeout(async () => {
      try {
        await screenshot(dash, file, trafficStart - 5000);
        info(`dashboard screenshots saved to ${file} and its -consumers, -mcp and -logs siblings`);
      } catch (e) {
        console.error(`[demo] screenshot failed: ${(e as Error).message}`);
      }
      if (args['exit-after-screenshot']) await shutdown(0);
    }, SHOT_AFTER * 1000);
  }
}

void main();
