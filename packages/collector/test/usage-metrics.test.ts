// /metrics: requests, tokens and cost by model and consumer, with bounded label values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector } from '../src/index.js';
import { writeTestPrices } from './ai-usage-cases.js';
import { post, removeDir, smallRecord, tempDir, testConfig } from './helpers.js';

/** The value of one sample line of the Prometheus text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name + '{')) continue;
    const inside = line.slice(name.length + 1, line.indexOf('}'));
    const have = inside.split(',');
    if (have.length === want.length && want.every((w) => have.includes(w))) return Number(line.slice(line.indexOf('}') + 1));
  }
  return undefined;
}

test('/metrics counts tokens and cost by model and consumer; the busiest models get labels, the rest are "other"', async () => {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { PRICES_FILE: writeTestPrices(dir), METRICS_LABEL_LIMIT: '2' }));
  try {
    const rec = (model: string, n: number, extra: Record<string, unknown> = {}) =>
      Array.from({ length: n }, (_, i) => JSON.stringify(smallRecord(`${model}-${i}-${Math.random()}`, { model, consumer: 'team-a', input_tokens: 100, output_tokens: 10, ...extra } as never)));
    const send = async (lines: string[]) => assert.equal((await post(`${c.url}/ingest`, lines.join('\n'), 'application/x-ndjson')).status, 200);
    await send([...rec('gpt-4o', 5, { cached_tokens: 40 }), ...rec('claude-x', 3), ...rec('m-c', 1), ...rec('m-d', 1)]);
    const m1 = await (await fetch(`${c.url}/metrics`)).text();
    const labels = (model: string) => ({ model, consumer: 'team-a' });
    assert.equal(sample(m1, 'log_collector_ai_requests_total', labels('gpt-4o')), 5);
    assert.equal(sample(m1, 'log_collector_ai_requests_total', labels('claude-x')), 3);
    assert.equal(sample(m1, 'log_collector_ai_requests_total', labels('other')), 2, 'the two quietest models are "other"');
    assert.equal(sample(m1, 'log_collector_ai_requests_total', labels('m-c')), undefined);
    assert.equal(sample(m1, 'log_collector_tokens_total', { ...labels('gpt-4o'), kind: 'input' }), 500);
    assert.equal(sample(m1, 'log_collector_tokens_total', { ...labels('gpt-4o'), kind: 'cached' }), 200);
    // gpt-4o: (60 × 2.5 + 40 × 1.25 + 10 × 10) / 1e6 each
    const cost = sample(m1, 'log_collector_cost_total', { ...labels('gpt-4o'), currency: 'USD' })!;
    assert.ok(Math.abs(cost - 5 * 0.0003) < 1e-12, String(cost));
    assert.equal(sample(m1, 'log_collector_cost_total', { ...labels('other'), currency: 'USD' }), undefined, 'unpriced models add no cost');
    // Later a busier model: the places are taken, it counts as "other"; the labelled series go on.
    await send([...rec('m-e', 10), ...rec('gpt-4o', 1)]);
    const m2 = await (await fetch(`${c.url}/metrics`)).text();
    assert.equal(sample(m2, 'log_collector_ai_requests_total', labels('gpt-4o')), 6);
    assert.equal(sample(m2, 'log_collector_ai_requests_total', labels('other')), 12);
    assert.equal(sample(m2, 'log_collector_ai_requests_total', labels('m-e')), undefined);
  } finally {
    await c.close();
    removeDir(dir);
  }
});
