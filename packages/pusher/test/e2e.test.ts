// End to end over real HTTP: client → db-log-gateway running db-log-pusher.wasm → mock LLM, with
// records pushed to a real collector (SQLite, and MariaDB when TEST_MYSQL_URL is set) and read
// back through its /query API. Also: the collector down or answering 500 never hurts a request.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { startGateway, type Gateway } from '@db-log-pusher/wasm-host';
import { startCollector, loadConfig } from '@db-log-pusher/collector';
import { startMockLlm, predictUsage, type MockLlm } from '@db-log-pusher/mock-llm';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { AI_LOG_WRITER_WASM } from './helpers.js';

const FQDN = 'log-collector.e2e.svc.cluster.local';
const CLUSTER = `outbound|80||${FQDN}`;

async function gateway(t: TestContext, llm: MockLlm, collectorUrl: string, config: Record<string, unknown> = {}, logLevel: 'error' | 'warn' = 'error', flavour: 'higress' | 'upstream' = 'higress'): Promise<Gateway> {
  const gw = await startGateway({
    listen: '127.0.0.1:0',
    flavour,
    upstream: llm.url,
    routeName: 'model-api-mock-0',
    nodeMetadata: { POD_NAME: 'gw-e2e-0' },
    clusters: { [CLUSTER]: collectorUrl },
    logLevel,
    logger: () => {},
    plugins: [{ wasm: PUSHER_WASM_PATH, configuration: { collector_service_name: FQDN, collector_port: 80, collector_path: '/ingest', flush_interval_ms: 100, ...config } }],
  });
  t.after(() => gw.close());
  return gw;
}

interface Sent {
  id: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
  bytesIn: number;
  bytesOut: number;
  ms: number;
  text: string;
}

async function send(gw: Gateway, id: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Sent> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const t0 = performance.now();
  const r = await fetch(gw.url + path, {
    method,
    headers: { 'x-request-id': id, ...(payload ? { 'content-type': 'application/json' } : {}), ...headers },
    body: payload,
  });
  const text = await r.text();
  return { id, method, path, body, headers, status: r.status, bytesIn: Buffer.byteLength(payload ?? ''), bytesOut: Buffer.byteLength(text), ms: performance.now() - t0, text };
}

async function queryAll(collectorUrl: string, want: number): Promise<Record<string, any>[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const r = await fetch(`${collectorUrl}/query?page_size=100&sort_by=start_time&sort_order=asc`);
    assert.equal(r.status, 200);
    const j = (await r.json()) as { total: number; logs: Record<string, any>[]; status: string };
    assert.equal(j.status, 'success');
    if (j.total >= want || Date.now() > deadline) return j.logs;
    await new Promise((res) => setTimeout(res, 100));
  }
}

const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'gpt-4o-mini', messages: [{ role: 'user', content }], ...extra });
const claude = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'claude-3-5-haiku', max_tokens: 12, messages: [{ role: 'user', content }], ...extra });

async function pipeline(t: TestContext, databaseUrl?: string, flavour: 'higress' | 'upstream' = 'higress'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const collector = await startCollector(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50', ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) }, []));
  t.after(() => collector.close());
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const gw = await gateway(t, llm, collector.url, {}, 'error', flavour);

  const sent: Sent[] = [];
  sent.push(await send(gw, 'openai-plain', 'POST', '/v1/chat/completions', chat('one two three')));
  sent.push(await send(gw, 'openai-sse', 'POST', '/v1/chat/completions', chat('a b c d e f', { stream: true, stream_options: { include_usage: true }, max_tokens: 20 })));
  sent.push(await send(gw, 'anthropic-plain', 'POST', '/v1/messages', claude('x y')));
  sent.push(await send(gw, 'anthropic-sse', 'POST', '/v1/messages?beta=true', claude('p q r s', { stream: true })));
  sent.push(await send(gw, 'slow', 'POST', '/v1/chat/completions', chat('wait for it'), { 'x-mock-latency-ms': '150' }));
  sent.push(await send(gw, 'rate-limited', 'POST', '/v1/chat/completions', chat('too many', { model: 'error-429' })));
  sent.push(await send(gw, 'health', 'GET', '/health'));
  // Prompt cache and reasoning asked for: the mock reports them in each provider's keys.
  sent.push(await send(gw, 'openai-cached-sse', 'POST', '/v1/chat/completions', chat('g h i j k l m n', { stream: true, stream_options: { include_usage: true }, prompt_cache_key: 'k', reasoning_effort: 'low' })));
  sent.push(await send(gw, 'anthropic-cached', 'POST', '/v1/messages', claude('w x y z', { system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }] })));
  assert.deepEqual(sent.map((s) => s.status), [200, 200, 200, 200, 200, 429, 200, 200, 200], 'the plugin never changes an answer');
  assert.match(sent[1].text, /data: \[DONE\]/);

  const logs = await queryAll(collector.url, sent.length);
  assert.equal(logs.length, sent.length, 'each request is stored once');
  const byId = new Map(logs.map((l) => [l.request_id, l]));
  assert.equal(byId.size, sent.length);
  for (const s of sent) {
    const l = byId.get(s.id)!;
    assert.ok(l, `record for ${s.id}`);
    assert.equal(l.method, s.method, s.id);
    assert.equal(l.path, s.path, s.id);
    assert.equal(l.response_code, s.status, s.id);
    assert.equal(l.authority, new URL(gw.url).host, s.id);
    assert.ok(l.bytes_received >= s.bytesIn, `${s.id}: bytes_received ${l.bytes_received} >= ${s.bytesIn}`);
    assert.ok(l.bytes_sent >= s.bytesOut, `${s.id}: bytes_sent ${l.bytes_sent} >= ${s.bytesOut}`);
    assert.ok(l.duration >= 0 && l.duration <= Math.ceil(s.ms) + 5, `${s.id}: duration ${l.duration} within the client's ${s.ms.toFixed(1)} ms`);
    assert.equal(l.instance_id, 'gw-e2e-0');
    assert.equal(l.route, 'model-api-mock-0');
    assert.match(String(l.start_time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    if (s.body && s.status === 200) {
      const u = predictUsage(s.body);
      assert.deepEqual([l.input_tokens, l.output_tokens, l.total_tokens], [u.input, u.output, u.total], `${s.id}: tokens`);
      assert.equal(l.model, (s.body as { model: string }).model, `${s.id}: model`);
      assert.equal(l.api, 'mock');
    }
  }
  assert.ok(byId.get('slow')!.duration >= 150, 'duration covers the upstream latency');
  assert.equal(byId.get('rate-limited')!.model, 'error-429', 'the model of a failed call comes from the request');
  assert.equal(byId.get('rate-limited')!.total_tokens, null);
  assert.equal(byId.get('health')!.model, null);

  // AI usage details: cache and reasoning as the mock reported them (Anthropic's cache reads are
  // part of input_tokens in the record), response type, first-token and service time.
  for (const id of ['openai-cached-sse', 'anthropic-cached']) {
    const u = predictUsage(sent.find((s) => s.id === id)!.body);
    const l = byId.get(id)!;
    assert.deepEqual([l.cached_tokens, l.reasoning_tokens ?? undefined], [u.cached, u.reasoning], `${id}: cached and reasoning tokens`);
  }
  const streamed = byId.get('openai-cached-sse')!;
  assert.equal(streamed.response_type, 'stream');
  assert.ok(Number.isInteger(streamed.llm_first_token_duration) && streamed.llm_first_token_duration <= streamed.llm_service_duration && streamed.llm_service_duration <= streamed.duration,
    `first token ${streamed.llm_first_token_duration} ms, then the whole answer ${streamed.llm_service_duration} ms, within the request's ${streamed.duration} ms`);
  const plain = byId.get('openai-plain')!;
  assert.deepEqual([plain.response_type, plain.llm_first_token_duration, plain.cached_tokens], ['normal', null, null]);
  assert.ok(Number.isInteger(plain.llm_service_duration));
  assert.deepEqual([byId.get('health')!.response_type, byId.get('health')!.llm_service_duration], [null, null]);

  const m = gw.host.plugins[0].metricsSnapshot();
  assert.equal(m['db_log_pusher.records_sent'].value, sent.length);
  assert.equal(m['db_log_pusher.records_dropped'].value, 0);
  // How many batches carried them depends on timing (workers, the 100 ms flush); batching itself
  // is tested on the manual clock in sender.test.ts.
  assert.ok(m['db_log_pusher.batches_sent'].value <= sent.length);

  // A plugin earlier in the chain writes ai_log as ai-statistics does; its values win.
  const ai = { model: 'qwen-max', input_token: 21, output_token: 17, total_token: 38, api: 'qwen' };
  const chain = await startGateway({
    listen: '127.0.0.1:0',
    upstream: llm.url,
    clusters: { [CLUSTER]: collector.url },
    logLevel: 'error',
    logger: () => {},
    plugins: [
      { wasm: AI_LOG_WRITER_WASM, configuration: { ai_log: ai, double_encode: true } },
      { wasm: PUSHER_WASM_PATH, configuration: { collector_service_name: FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1 } },
    ],
  });
  t.after(() => chain.close());
  const viaChain = await send(chain, 'ai-statistics-chain', 'POST', '/v1/chat/completions', chat('counted elsewhere'));
  assert.equal(viaChain.status, 200);
  const all = await queryAll(collector.url, sent.length + 1);
  const rec = all.find((l) => l.request_id === 'ai-statistics-chain')!;
  assert.ok(rec, 'record of the chained request');
  const storedAi = typeof rec.ai_log === 'string' ? JSON.parse(rec.ai_log) : rec.ai_log;
  assert.deepEqual(storedAi, ai);
  assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens, rec.api], ['qwen-max', 21, 17, 38, 'qwen']);
}

test('end to end on SQLite: each request stored once with method, path, status, bytes, duration, model, tokens and their cache and reasoning details', async (t) => {
  await pipeline(t);
});

test('end to end on SQLite behind Envoy 1.33+ (xds.* properties only): route, api and instance_id still filled', async (t) => {
  await pipeline(t, undefined, 'upstream');
});

test('end to end on MariaDB', async (t) => {
  const base = process.env.TEST_MYSQL_URL;
  if (!base) {
    if (process.env.CI) throw new Error('TEST_MYSQL_URL is not set in CI; the MariaDB end-to-end test must run');
    t.skip('TEST_MYSQL_URL is not set (e.g. mysql://root@127.0.0.1:3306/dblog_test): MariaDB end-to-end test skipped');
    return;
  }
  const u = new URL(base);
  const name = `dblog_pusher_${randomBytes(4).toString('hex')}`;
  const conn = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
  await conn.query(`CREATE DATABASE \`${name}\` DEFAULT CHARACTER SET utf8mb4`);
  t.after(async () => {
    await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await conn.end();
  });
  u.pathname = `/${name}`;
  await pipeline(t, u.toString());
});

test('with the collector down or answering 500, every request succeeds, memory stays bounded and drops are counted', async (t) => {
  const llm = await startMockLlm();
  t.after(() => llm.close());
  // A port with nothing listening.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const deadPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  // A collector that always fails.
  let failing = 0;
  const broken = http.createServer((req, res) => {
    failing++;
    req.resume();
    req.on('end', () => { res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":"down"}'); });
  });
  await new Promise<void>((r) => broken.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { broken.closeAllConnections(); broken.close(() => r()); }));
  const brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}`;

  // A long backoff keeps failed batches held while traffic continues, so the pending bound is
  // reached however slowly a busy machine runs the requests (drops do not depend on timing).
  const config = { batch_size: 10, max_pending_records: 30, max_in_flight: 1, max_retries: 1, retry_backoff_ms: 3000, timeout_ms: 1000 };
  for (const [label, url] of [['down', `http://127.0.0.1:${deadPort}`], ['500', brokenUrl]] as const) {
    const gw = await gateway(t, llm, url, config, 'warn');
    const vm = gw.host.plugins[0];
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const s = await send(gw, `${label}-${i}`, 'POST', '/v1/chat/completions', chat(`req ${i}`));
      statuses.push(s.status);
      // The bound is per VM (one per worker); the gauge is their total.
      const queued = vm.metricsSnapshot()['db_log_pusher.records_queued']?.value ?? 0;
      assert.ok(queued <= 30 * gw.host.workers.length, `${label}: ${queued} records held, bound is 30 per VM`);
    }
    assert.ok(statuses.every((s) => s === 200), `${label}: every proxied request succeeded`);
    // Wait for the held batches' retries to fail (backoff 3 s ± 50 %), bounded.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (vm.metricsSnapshot()['db_log_pusher.records_failed']?.value ?? 0) === 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const m = vm.metricsSnapshot();
    const dropped = m['db_log_pusher.records_dropped'].value;
    const failed = m['db_log_pusher.records_failed'].value;
    assert.equal(m['db_log_pusher.records_sent'].value, 0, label);
    assert.ok(dropped > 0, `${label}: drops counted (${dropped})`);
    assert.ok(failed > 0, `${label}: failures counted (${failed})`);
    assert.ok(m['db_log_pusher.records_retried'].value > 0, `${label}: retries counted`);
    assert.ok(failed + dropped + m['db_log_pusher.records_queued'].value <= 200, label);
    assert.ok(vm.logs.some((l) => l.level === 'warn' && /db-log-pusher/.test(l.message)), `${label}: failures are logged`);
  }
  assert.ok(failing > 0, 'the failing collector was called');
});

test('collector_token: sent as Authorization: Bearer, so a collector with INGEST_TOKEN stores the records', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const collector = await startCollector(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50', INGEST_TOKEN: 'ingest-secret-1' }, []));
  t.after(() => collector.close());
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const gw = await gateway(t, llm, collector.url, { collector_token: 'ingest-secret-1', batch_size: 1 });
  const s = await send(gw, 'with-token', 'POST', '/v1/chat/completions', chat('authorised'));
  assert.equal(s.status, 200);
  const logs = await queryAll(collector.url, 1);
  assert.deepEqual(logs.map((l) => l.request_id), ['with-token']);
  const m = gw.host.plugins[0].metricsSnapshot();
  assert.equal(m['db_log_pusher.records_sent'].value, 1);
  assert.equal(m['db_log_pusher.records_failed']?.value ?? 0, 0);
});

test('rules only through db-log-gateway: requests matching a rule are stored, the others pass unrecorded', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-rules-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const collector = await startCollector(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50' }, []));
  t.after(() => collector.close());
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const gw = await startGateway({
    listen: '127.0.0.1:0',
    upstream: llm.url,
    clusters: { [CLUSTER]: collector.url },
    logLevel: 'error',
    logger: () => {},
    plugins: [{ wasm: PUSHER_WASM_PATH, configuration: { _rules_: [{ _match_domain_: ['*.allowed.example'], collector_service_name: FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1 }] } }],
  });
  t.after(() => gw.close());
  // node:http, since fetch does not let a caller set Host.
  const get = (id: string, host: string) => new Promise<number>((resolve, reject) => {
    http.get(`${gw.url}/health`, { headers: { host, 'x-request-id': id } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); }).on('error', reject);
  });
  assert.deepEqual([await get('unmatched', 'other.example'), await get('matched', 'api.allowed.example')], [200, 200]);
  const logs = await queryAll(collector.url, 1);
  assert.deepEqual(logs.map((l) => [l.request_id, l.authority]), [['matched', 'api.allowed.example']]);
  assert.equal(gw.host.vmsOf(0).flatMap((vm) => vm.httpCalls).length, 1, 'the unmatched request was never sent');
});
