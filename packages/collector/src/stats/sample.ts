import type { AccessLogRecord } from '@db-log-pusher/schema';

/**
 * Deterministic, realistic-looking access-log records for the statistics tests, the dashboard
 * tests and the statistics benchmark: AI chat calls over a few models and consumers, some MCP
 * tool calls, some errors and fallbacks, clients behind and not behind a proxy.
 */

/** Small seeded PRNG (mulberry32): the same seed gives the same records on every machine. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SAMPLE_MODELS = ['gpt-4o', 'gpt-4o-mini', 'qwen-max', 'deepseek-chat'] as const;
export const SAMPLE_CONSUMERS = ['team-a', 'team-b', 'batch-jobs'] as const;
export const SAMPLE_MCP_TOOLS = ['search', 'get_weather', 'read_file'] as const;

export interface SampleOptions {
  /** Number of records. */
  count: number;
  seed?: number;
  /** First record's start time (epoch ms); records are spread evenly over spanMs. */
  startMs: number;
  spanMs: number;
}

/** Deterministic AI usage fields of the i-th sample record; cost as if priced 2 / 8 per 1M (the last model unpriced). */
function aiUsage(i: number, input: number, output: number, model: string | null): Partial<AccessLogRecord> {
  const stream = i % 3 !== 0;
  const cached = i % 4 === 0 ? Math.floor(input / 2) : 0;
  return {
    cached_tokens: cached,
    reasoning_tokens: i % 5 === 0 ? Math.floor(output / 3) : 0,
    response_type: stream ? 'stream' : 'normal',
    llm_first_token_duration: 40 + ((i * 37) % 900),
    llm_service_duration: output > 0 ? 100 + ((i * 53) % 3000) : null,
    session_id: `sess-${i % 7}`,
    cost: model === SAMPLE_MODELS[SAMPLE_MODELS.length - 1] ? null : ((input - cached) * 2 + cached + output * 8) / 1e6,
  };
}

export function sampleRecords(opts: SampleOptions): AccessLogRecord[] {
  const rnd = prng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const out: AccessLogRecord[] = [];
  for (let i = 0; i < opts.count; i++) {
    const t = opts.startMs + Math.floor((i * opts.spanMs) / Math.max(1, opts.count));
    const mcp = rnd() < 0.15;
    const r = rnd();
    const code = r < 0.05 ? 503 : r < 0.08 ? 500 : r < 0.14 ? 429 : r < 0.17 ? 404 : 200;
    const model = mcp ? null : pick(SAMPLE_MODELS);
    const consumer = rnd() < 0.1 ? null : pick(SAMPLE_CONSUMERS);
    const input = mcp || code !== 200 ? 0 : 20 + Math.floor(rnd() * 2000);
    const output = mcp || code !== 200 ? 0 : 5 + Math.floor(rnd() * 800);
    const fallback = !mcp && rnd() < 0.05;
    const client = `10.0.${Math.floor(rnd() * 4)}.${1 + Math.floor(rnd() * 20)}`;
    const proxied = rnd() < 0.4;
    const usage = mcp ? {} : aiUsage(i, input, output, model);
    // ai_log agrees with the usage fields, so records normalised at ingest (which derives them from it) read the same.
    const service = usage.llm_service_duration;
    const aiLog: Record<string, unknown> | null = mcp
      ? null
      : { model, input_token: input, output_token: output, ...(service != null ? { llm_service_duration: service } : {}), ...(fallback ? { fallback_from: 'ai-route-primary' } : {}) };
    const traceId = `${(i >> 1).toString(16).padStart(16, '0')}${Math.floor(rnd() * 0xffff).toString(16).padStart(4, '0')}`;
    out.push({
      start_time: new Date(t).toISOString(),
      trace_id: traceId,
      authority: mcp ? 'mcp.example.com' : 'llm.example.com',
      method: 'POST',
      path: mcp ? '/mcp' : '/v1/chat/completions',
      protocol: 'HTTP/1.1',
      request_id: `req-${opts.seed ?? 42}-${i}`,
      user_agent: 'sample/1.0',
      x_forwarded_for: proxied ? `${client}, 192.168.0.1` : null,
      response_code: code,
      response_flags: code >= 500 ? 'UF' : '-',
      response_code_details: code === 200 ? 'via_upstream' : 'upstream_reset',
      bytes_received: 200 + Math.floor(rnd() * 4000),
      bytes_sent: code === 200 ? 300 + Math.floor(rnd() * 9000) : 120,
      duration: Math.floor(20 + rnd() * rnd() * 4000),
      upstream_cluster: mcp ? 'outbound|80||mcp.svc' : 'outbound|443||llm.dns',
      upstream_host: '127.0.0.1:9000',
      downstream_local_address: '127.0.0.1:8080',
      downstream_remote_address: proxied ? `192.168.0.1:${40000 + i}` : `${client}:${40000 + i}`,
      route_name: mcp ? 'mcp-route' : 'ai-route',
      ai_log: aiLog,
      instance_id: `gw-${i % 2}`,
      api: mcp ? null : 'chat',
      model,
      consumer,
      route: mcp ? 'mcp-route' : 'ai-route',
      service: mcp ? 'mcp.svc' : 'llm.dns',
      mcp_server: mcp ? 'tools' : null,
      mcp_tool: mcp ? pick(SAMPLE_MCP_TOOLS) : null,
      input_tokens: mcp ? null : input,
      output_tokens: mcp ? null : output,
      total_tokens: mcp ? null : input + output,
      // AI usage, from the index alone (no draws from rnd(), so the fields above stay as they were).
      ...usage,
    });
  }
  return out;
}
