// The dashboard's AI usage figures in a real browser, checked against records written here with
// known tokens and a price table of known prices (PRICES_FILE): spend in all, over time, by model
// and by consumer (and "not priced" for a model without a price), the first-token p95 of streamed
// answers only, and the share of input tokens read from the prompt cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessLogRecord } from '@db-log-pusher/schema';
import { removeDir, tempDir } from './helpers.js';
import { en, expectText, groupRows, iso, newPage, percentile, pixelsOfColor, SKIP, startDashboard, type DashboardFixture } from './browser.js';

const START = Date.UTC(2026, 2, 5, 9, 0, 0);
const END = START + 3600_000;
const RANGE = `start=${iso(START)}&end=${iso(END)}&live=off`;
const CURRENCY = 'EUR';
// Per 1M tokens; 'free-local' has no price.
const PRICES: Record<string, { input: number; output: number; cached_input?: number }> = {
  'p-one': { input: 2, output: 8, cached_input: 0.5 },
  'p-two': { input: 1, output: 4 },
};
const CONSUMERS = ['alice', 'bob', 'carol'];
const MODEL_OF: Record<string, (i: number) => string> = {
  alice: (i) => (i % 2 ? 'p-two' : 'p-one'),
  bob: (i) => (i % 2 ? 'free-local' : 'p-one'),
  carol: () => 'free-local',
};

const RECORDS: AccessLogRecord[] = [];
for (let i = 0; i < 30; i++) {
  const consumer = CONSUMERS[i % 3];
  const input = 10_000 * (i + 1);
  const stream = i % 3 !== 1;
  RECORDS.push({
    start_time: iso(START + 60_000 + i * 110_000), trace_id: `${String(i).padStart(8, '0')}11112222333344445555`, authority: 'llm.example.com',
    method: 'POST', path: '/v1/chat/completions', response_code: 200, duration: 900 + i, model: MODEL_OF[consumer](i), consumer,
    input_tokens: input, output_tokens: 1_000 * (i + 1), total_tokens: input + 1_000 * (i + 1), cached_tokens: i % 2 ? input / 4 : 0,
    response_type: stream ? 'stream' : 'normal',
    // A non-streamed answer's first token is its whole answer: it must not count in the streams' p95.
    llm_first_token_duration: stream ? 100 + 37 * i : 5_000 + i,
  });
}

let fx: DashboardFixture;
let pricesDir: string;
before(async () => {
  if (SKIP) return;
  pricesDir = tempDir();
  const file = join(pricesDir, 'prices.json');
  writeFileSync(file, JSON.stringify({ currency: CURRENCY, models: PRICES }));
  fx = await startDashboard(RECORDS, { PRICES_FILE: file });
});
after(async () => {
  await fx?.close();
  if (pricesDir) removeDir(pricesDir);
});

const of = (f: (r: AccessLogRecord) => boolean) => RECORDS.filter(f);
const total = (rs: AccessLogRecord[], k: 'input_tokens' | 'cached_tokens') => rs.reduce((n, r) => n + (r[k] ?? 0), 0);
/** The collector's cost formula (collector README, "Cost"), null without a price. */
function costOf(r: AccessLogRecord): number | null {
  const p = PRICES[r.model!];
  if (!p) return null;
  const cached = r.cached_tokens ?? 0;
  return ((r.input_tokens! - cached) * p.input + cached * (p.cached_input ?? p.input) + r.output_tokens! * p.output) / 1e6;
}
/** What a spend cell reads: the priced records' sum, or "not priced" when none is priced. */
function spend(rs: AccessLogRecord[]): string {
  const priced = rs.map(costOf).filter((c): c is number => c !== null);
  if (!priced.length) return 'not priced';
  const c = priced.reduce((a, b) => a + b, 0);
  return `${c >= 1 ? c.toFixed(2) : c.toPrecision(2)} ${CURRENCY}`;
}
/** Over the streamed answers only; "–" for a consumer that never streams (bob). */
function firstTokenP95(rs: AccessLogRecord[]): string {
  const d = rs.filter((r) => r.response_type === 'stream').map((r) => r.llm_first_token_duration!);
  return d.length ? `${en(percentile(d, 95))} ms` : '–';
}
/** cached / input as /stats rounds it (4 decimals), shown as a percentage. */
const cachedShare = (rs: AccessLogRecord[]) => `${((Math.round((total(rs, 'cached_tokens') / total(rs, 'input_tokens')) * 1e4) / 1e4) * 100).toFixed(2)}%`;
const compact = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : en(n));

test('overview: spend, first-token p95 of streams, cached share, spend over time and by model and consumer', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/?${RANGE}`);
    await expectText(page.locator('[data-testid=kpi-spend] .kpi-value'), spend(RECORDS), 'spend KPI');
    await expectText(page.locator('[data-testid=kpi-first-token] .kpi-value'), firstTokenP95(RECORDS), 'first-token p95 KPI');
    await expectText(page.locator('[data-testid=kpi-cached] .kpi-value'), cachedShare(RECORDS), 'cached share KPI');
    await expectText(page.locator('[data-testid=kpi-cached] .kpi-sub'), `${compact(total(RECORDS, 'cached_tokens'))} of ${compact(total(RECORDS, 'input_tokens'))} input tokens`, 'cached tokens');

    // Spend over time: the chart draws its series.
    await page.locator('[data-testid=chart-spend] canvas').waitFor({ timeout: 10_000 });
    assert.ok((await pixelsOfColor(page, 'chart-spend', '#ffab00')) > 0, 'the spend chart draws its series');

    const models = await groupRows(page, 'model', 3);
    for (const m of ['p-one', 'p-two', 'free-local']) {
      assert.equal(models.find((r) => r.model === m)?.spend, spend(of((r) => r.model === m)), `spend of ${m}`);
    }
    assert.equal(models.find((r) => r.model === 'free-local')?.spend, 'not priced');
    const consumers = await groupRows(page, 'consumer', 3);
    for (const c of CONSUMERS) assert.equal(consumers.find((r) => r.consumer === c)?.spend, spend(of((r) => r.consumer === c)), `spend of ${c}`);
  } finally {
    await page.context().close();
  }
});

test('consumer view: spend, first-token p95 and cached share per consumer, its spend over time and its models\' spend', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/consumers?${RANGE}&selected=alice`);
    await expectText(page.locator('[data-testid=kpi-spend] .kpi-value'), spend(RECORDS), 'spend KPI');
    await expectText(page.locator('[data-testid=kpi-first-token] .kpi-value'), firstTokenP95(RECORDS), 'first-token p95 KPI');
    await expectText(page.locator('[data-testid=kpi-cached] .kpi-value'), cachedShare(RECORDS), 'cached share KPI');

    const rows = await groupRows(page, 'consumer', 3);
    for (const c of CONSUMERS) {
      const rs = of((r) => r.consumer === c);
      const row = rows.find((r) => r.consumer === c)!;
      assert.deepEqual([row.spend, row['first token p95'], row.cached], [spend(rs), firstTokenP95(rs), cachedShare(rs)], `row of ${c}`);
    }

    // alice's models, each with its spend, and her spend over time.
    await expectText(page.locator('[data-testid=consumer-detail] h2'), 'alice', 'selected consumer');
    const mine = await groupRows(page, 'model', 2);
    for (const m of ['p-one', 'p-two']) assert.equal(mine.find((r) => r.model === m)?.spend, spend(of((r) => r.consumer === 'alice' && r.model === m)), `alice's spend on ${m}`);
    await page.locator('[data-testid=chart-consumer-spend] canvas').waitFor({ timeout: 10_000 });
    assert.ok((await pixelsOfColor(page, 'chart-consumer-spend', '#ffab00')) > 0, 'alice\'s spend chart draws its series');

    // carol only calls the model without a price: her spend reads "not priced", chart included.
    await page.locator('[data-testid=top-consumer] tr', { hasText: 'carol' }).click();
    await expectText(page.locator('[data-testid=consumer-detail] h2'), 'carol', 'carol selected');
    await expectText(page.locator('[data-testid=chart-consumer-spend] p'), /^Not priced/, 'carol\'s spend chart');
    assert.equal((await groupRows(page, 'model', 1))[0].spend, 'not priced');
  } finally {
    await page.context().close();
  }
});
