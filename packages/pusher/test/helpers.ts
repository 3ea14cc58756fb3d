// Shared set-up for the plugin's tests: the real .wasm in the real host.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { WasmHost, type HttpCallRecord, type HttpCallReply, type PluginVm, type HostOptions } from '@db-log-pusher/wasm-host';
import { PUSHER_WASM_PATH } from '../src/index.js';

export const AI_LOG_WRITER_WASM = fileURLToPath(new URL('../build/fixtures/ai-log-writer.wasm', import.meta.url));
export const REWRITER_WASM = fileURLToPath(new URL('../build/fixtures/rewriter.wasm', import.meta.url));
export const NOOP_WASM = fileURLToPath(new URL('../build/fixtures/noop.wasm', import.meta.url));

export const COLLECTOR_FQDN = 'log-collector.higress-system.svc.cluster.local';
export const COLLECTOR_CLUSTER = `outbound|80||${COLLECTOR_FQDN}`;

export type Handler = (call: HttpCallRecord) => HttpCallReply | undefined | Promise<HttpCallReply | undefined>;

export interface Harness {
  host: WasmHost;
  vm: PluginVm;
  /** Replace how the fake collector answers. */
  answer(h: Handler): void;
  /** Records in every call the plugin made so far (NDJSON lines or single objects). */
  records(): Record<string, unknown>[];
  metric(name: string): number;
}

export function parseBody(body: string): Record<string, unknown>[] {
  const t = body.trim();
  if (t.startsWith('[')) return JSON.parse(t);
  return t.split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

export interface HarnessOptions extends Partial<HostOptions> {
  before?: { wasm: string; configuration: object }[];
  after?: { wasm: string; configuration: object }[];
  /** Use the configuration as given, without the collector defaults merged in. */
  exact?: boolean;
}

export async function harness(config: Record<string, unknown> = {}, opts: HarnessOptions = {}): Promise<Harness> {
  let handler: Handler = () => ({ status: 200, body: '{"status":"success"}' });
  const host = new WasmHost({
    clock: 'manual',
    nodeId: 'sidecar~10.0.0.7~gw-node.higress-system~higress-system.svc.cluster.local',
    nodeMetadata: { POD_NAME: 'higress-gateway-7d9c-abcde' },
    logLevel: 'info',
    httpCallHandler: (call) => handler(call),
    ...opts,
  });
  for (const b of opts.before ?? []) await host.loadPlugin(b);
  const vm = await host.loadPlugin({
    wasm: PUSHER_WASM_PATH,
    configuration: opts.exact ? config : { collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1, ...config },
  });
  for (const a of opts.after ?? []) await host.loadPlugin(a);
  return {
    host,
    vm,
    answer: (h) => { handler = h; },
    records: () => vm.httpCalls.flatMap((c) => parseBody(c.body)),
    metric: (name) => vm.metricsSnapshot()[name]?.value ?? 0,
  };
}

export const chatRequest = (extra: Record<string, string> = {}) => ({
  headers: {
    ':method': 'POST', ':path': '/v1/chat/completions', ':authority': 'api.example.com', ':scheme': 'http',
    'content-type': 'application/json', 'x-request-id': 'req-1', ...extra,
  },
  body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }] }),
});

/** Cuts text into chunks of n bytes, so events and JSON tokens straddle chunk boundaries. */
export const chunks = (text: string, n: number): string[] => {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += n) out.push(text.slice(i, i + n));
  return out;
};

type Exchange = Parameters<Harness['host']['runStream']>[0];

/** Runs one exchange through a fresh default harness and returns the one record it sent. */
export async function recordOf(exchange: Exchange): Promise<Record<string, unknown>> {
  const h = await harness();
  try {
    await h.host.runStream(exchange);
    await h.host.idle();
    const recs = h.records();
    assert.equal(recs.length, 1);
    return recs[0];
  } finally {
    await h.host.close();
  }
}
