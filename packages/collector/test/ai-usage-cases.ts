// AI usage records as ai-statistics writes their ai_log (escaped JSON, numbers as strings,
// nested details as objects or as JSON strings), a price file with exact, prefix and
// provider-prefixed names, and what each must read back as. Shared by ai-usage.test.ts's stores.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getJson, post, smallRecord, waitFor } from './helpers.js';

export const TEST_PRICES = {
  currency: 'USD',
  models: {
    'gpt-4o': { input: 2.5, output: 10, cached_input: 1.25 },
    'gpt-4o*': { input: 5, output: 15 },
    'claude-*': { input: 3, output: 15, cached_input: 0.3, cache_write_input: 3.75 },
    'claude-3-5-haiku*': { input: 0.8, output: 4, cached_input: 0.08, cache_write_input: 1 },
  },
};

/** Writes TEST_PRICES into `dir` and returns its path (for PRICES_FILE). */
export function writeTestPrices(dir: string): string {
  const file = join(dir, 'prices.json');
  writeFileSync(file, JSON.stringify(TEST_PRICES));
  return file;
}

interface Case {
  id: string;
  record: Record<string, unknown>;
  /** Fields as /query reads them back. */
  want: Record<string, unknown>;
}

const NEW_FIELDS = ['cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'llm_first_token_duration', 'llm_service_duration', 'response_type', 'session_id', 'cost'];
const none = Object.fromEntries(NEW_FIELDS.map((f) => [f, null]));

export function aiUsageCases(prefix: string): Case[] {
  const start = new Date(Date.now() - 60_000).toISOString();
  const rec = (id: string, extra: Record<string, unknown>) => smallRecord(`${prefix}-${id}`, { start_time: start, ...extra } as never);
  return [
    {
      // Exact price; ai_log double-encoded, every number a string, token details nested as a JSON string.
      id: 'openai-stream',
      record: rec('openai-stream', {
        model: 'gpt-4o', input_tokens: 1000, output_tokens: 200, total_tokens: 1200,
        ai_log: JSON.stringify({
          model: 'gpt-4o', input_token: '1000', output_token: '200', llm_first_token_duration: '120', llm_service_duration: '900',
          response_type: 'stream', session_id: 'sess-1', input_token_details: JSON.stringify({ cached_tokens: '400' }), output_token_details: { reasoning_tokens: '50' },
        }),
      }),
      // (600 × 2.5 + 400 × 1.25 + 200 × 10) / 1e6
      want: { ...none, input_tokens: 1000, cached_tokens: 400, reasoning_tokens: 50, llm_first_token_duration: 120, llm_service_duration: 900, response_type: 'stream', session_id: 'sess-1', cost: 0.004 },
    },
    {
      // A prefix key (gpt-4o*) for a dated snapshot; ai_log an object with plain numbers.
      id: 'openai-prefix',
      record: rec('openai-prefix', {
        model: 'gpt-4o-2024-08-06', input_tokens: 100, output_tokens: 10, total_tokens: 110,
        ai_log: { model: 'gpt-4o-2024-08-06', llm_service_duration: 300, response_type: 'normal', session_id: 'sess-1' },
      }),
      want: { ...none, llm_service_duration: 300, response_type: 'normal', session_id: 'sess-1', cost: 0.00065 },
    },
    {
      // provider/ prefix, the longer prefix (claude-3-5-haiku*) over claude-*, Anthropic cache keys added to input_tokens.
      id: 'anthropic',
      record: rec('anthropic', {
        model: 'anthropic/claude-3-5-haiku-20241022', input_tokens: 100, output_tokens: 50, total_tokens: 150,
        ai_log: JSON.stringify({ cache_read_input_tokens: 2000, cache_creation_input_tokens: '500', llm_first_token_duration: 80, response_type: 'stream', session_id: 'sess-2' }),
      }),
      // (100 × 0.8 + 2000 × 0.08 + 500 × 1 + 50 × 4) / 1e6
      want: { ...none, input_tokens: 2600, cached_tokens: 2000, cache_write_tokens: 500, llm_first_token_duration: 80, response_type: 'stream', session_id: 'sess-2', cost: 0.00094 },
    },
    {
      id: 'claude-star',
      record: rec('claude-star', { model: 'claude-sonnet-4-20250514', input_tokens: 10, output_tokens: 10, total_tokens: 20 }),
      want: { ...none, cost: 0.00018 },
    },
    {
      id: 'unpriced',
      record: rec('unpriced', { model: 'qwen-turbo', input_tokens: 10, output_tokens: 20, total_tokens: 30, ai_log: { llm_first_token_duration: 'n/a', session_id: 'sess-2' } }),
      want: { ...none, session_id: 'sess-2', cost: null },
    },
    {
      // Fields the record carries win over ai_log (the plugin filled them).
      id: 'explicit',
      record: rec('explicit', {
        model: 'gpt-4o', input_tokens: 1000, output_tokens: 0, total_tokens: 1000, cached_tokens: 1000, response_type: 'normal',
        ai_log: { input_token_details: { cached_tokens: 5 }, response_type: 'stream' },
      }),
      // 1000 × 1.25 / 1e6
      want: { ...none, input_tokens: 1000, cached_tokens: 1000, response_type: 'normal', cost: 0.00125 },
    },
  ];
}

/** Sends every case and checks each record reads back as wanted; `absent` fields must read back null (a table without them). */
export async function checkAiUsage(url: string, prefix: string, absent: readonly string[] = []): Promise<void> {
  const cases = aiUsageCases(prefix);
  const r = await post(`${url}/ingest`, cases.map((c) => JSON.stringify(c.record)).join('\n'), 'application/x-ndjson');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  for (const c of cases) {
    const log = await waitFor(`row ${c.id}`, async () => {
      const q = await getJson(`${url}/query?request_id=${encodeURIComponent(`${prefix}-${c.id}`)}`);
      assert.equal(q.status, 200, JSON.stringify(q.json));
      return q.json.total === 1 ? q.json.logs[0] : undefined;
    });
    for (const [k, v] of Object.entries(c.want)) {
      const want = absent.includes(k) ? null : v;
      if (typeof want === 'number' && k === 'cost') assert.ok(Math.abs(log[k] - want) < 1e-12, `${c.id}: ${k} ${log[k]} ≠ ${want}`);
      else assert.deepEqual(log[k], want, `${c.id}: ${k}`);
    }
  }
}

const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} ≠ ${b}`);

/**
 * /stats over the cases (after checkAiUsage): cost in kpis, groups and series, grouped by
 * session. `seed`: a table without the new columns, where cost is computed at query time from
 * the tokens (no cached or cache-write counts there) and session_id cannot be grouped by.
 */
export async function checkAiStats(url: string, seed: boolean): Promise<void> {
  const s = await getJson(`${url}/stats?interval=1h`);
  assert.equal(s.status, 200, JSON.stringify(s.json));
  assert.equal(s.json.currency, 'USD');
  // Stored: 0.004 + 0.00065 + 0.00094 + 0.00018 + 0.00125. Seed table, from tokens alone:
  // 0.0045 + 0.00065 + 2600 × 0.8 + 50 × 4 → 0.00228, + 0.00018 + 0.0025.
  const total = seed ? 0.01011 : 0.00702;
  close(s.json.kpis.cost, total, 'kpis.cost');
  const bucketSum = (s.json.series[0].values.cost as number[]).reduce((a, b) => a + b, 0);
  close(bucketSum, total, 'series cost');
  const byModel = await getJson(`${url}/stats?group_by=model`);
  assert.equal(byModel.status, 200, JSON.stringify(byModel.json));
  const g = (key: string) => byModel.json.groups.find((x: { key: string }) => x.key === key);
  assert.equal(g('qwen-turbo').cost, null, 'an unpriced model has no cost');
  close(g('gpt-4o-2024-08-06').cost, 0.00065, 'prefix-priced group');
  if (seed) {
    assert.equal(s.json.kpis.cached_tokens, null);
    assert.equal(s.json.kpis.first_token_p50, null);
    const bad = await getJson(`${url}/stats?group_by=session_id`);
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /session_id/);
    return;
  }
  // Streams only: 120 and 80 ms.
  assert.deepEqual([s.json.kpis.first_token_p50, s.json.kpis.first_token_p95], [80, 120]);
  assert.equal(s.json.kpis.cached_tokens, 3400);
  assert.equal(s.json.kpis.cached_share, Math.round((3400 / (1000 + 100 + 2600 + 10 + 10 + 1000)) * 1e4) / 1e4);
  const bySession = await getJson(`${url}/stats?group_by=session_id`);
  assert.equal(bySession.status, 200, JSON.stringify(bySession.json));
  const sess = (key: string | null) => bySession.json.groups.find((x: { key: string | null }) => x.key === key);
  assert.equal(sess('sess-1').requests, 2);
  close(sess('sess-1').cost, 0.00465, 'sess-1 cost');
  assert.equal(sess('sess-2').requests, 2);
  close(sess('sess-2').cost, 0.00094, 'sess-2 cost (its unpriced request adds nothing)');
}

/** Prices after a correction: gpt-4o dearer, qwen-turbo priced, no claude (the file replaces the table). */
export const CORRECTED_PRICES = { currency: 'USD', models: { 'gpt-4o': { input: 10, output: 10 }, 'qwen-turbo': { input: 1, output: 1 } } };

/**
 * recompute-cost over the cases: a range before them changes nothing; a range over them prices
 * every row again from CORRECTED_PRICES. `run(from, to)` runs it (in process or the CLI) with
 * those prices and says how many rows it updated.
 */
export async function checkRecompute(url: string, prefix: string, run: (from: number, to: number) => Promise<number>): Promise<void> {
  const cost = async (id: string) => {
    const q = await getJson(`${url}/query?request_id=${encodeURIComponent(`${prefix}-${id}`)}`);
    return q.json.logs[0].cost as number | null;
  };
  const now = Date.now();
  assert.equal(await run(now - 48 * 3600_000, now - 24 * 3600_000), 0, 'no rows in a range before the records');
  assert.equal(await cost('openai-stream'), 0.004);
  const n = await run(now - 2 * 3600_000, now + 3600_000);
  assert.equal(n, aiUsageCases(prefix).length);
  // A ClickHouse mutation is applied in the background: wait for it.
  await waitFor('the new costs', async () => (await cost('openai-stream')) === 0.012);
  assert.equal(await cost('explicit'), 0.01, 'a cost the record carried is priced again too');
  assert.equal(await cost('unpriced'), 0.00003);
  assert.equal(await cost('anthropic'), null, 'a model the new table does not price');
  assert.equal(await cost('openai-prefix'), null, 'no prefix key in the new table');
}
