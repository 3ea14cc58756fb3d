// The overview's charts in a real browser: a lone bucket of traffic is drawn, tick labels read the
// value they mark and never overlap, and every y axis (the error rate's too) starts at zero.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessLogRecord } from '@db-log-pusher/schema';
import { chartTicks, iso, newPage, overlaps, pixelsOfColor, readTick, SKIP, startDashboard, type DashboardFixture, type Tick } from './browser.js';
import { waitFor } from './helpers.js';

const CHARTS = ['chart-requests', 'chart-errors', 'chart-tokens', 'chart-latency'];
const RED = '#ff5630'; // the error-rate line and the latency p99
const BLUE = '#4c9aff'; // the latency p50

function rec(ms: number, code: number, duration: number, extra: Partial<AccessLogRecord> = {}): AccessLogRecord {
  return {
    start_time: iso(ms), authority: 'llm.example.com', method: 'POST', path: '/v1/chat/completions', response_code: code, duration,
    model: 'gpt-4o', consumer: 'acme', route: 'ai-route', input_tokens: code === 200 ? 40 : 0, output_tokens: code === 200 ? 9 : 0,
    total_tokens: code === 200 ? 49 : 0, downstream_remote_address: '10.0.0.1:4000', ...extra,
  };
}

// All traffic of this hour falls in one 30 s bucket.
const LONE_START = Date.UTC(2026, 0, 12, 6, 0, 0);
const LONE = [200, 200, 500, 429, 200, 200].map((code, i) => rec(LONE_START + 20 * 60_000 + i * 2000, code, 100 * (i + 1)));

// An hour across midnight with two requests in every 30 s bucket, one of them failing: the error
// rate is 50 % everywhere, and the request counts are tiny (ticks at 0, 1, 2, never 0.5).
const NIGHT_START = Date.UTC(2026, 0, 11, 23, 30, 0);
const NIGHT: AccessLogRecord[] = [];
for (let b = 0; b < 120; b++) {
  const t = NIGHT_START + b * 30_000 + 1000;
  NIGHT.push(rec(t, 200, 200 + ((b * 37) % 2400)), rec(t + 5000, b % 2 ? 500 : 429, 50 + ((b * 53) % 900)));
}

let fx: DashboardFixture;
before(async () => {
  if (!SKIP) fx = await startDashboard([...LONE, ...NIGHT]);
});
after(async () => fx?.close());

const overview = (start: number) => `${fx.collector.url}/#/?start=${iso(start)}&end=${iso(start + 3600_000)}&live=off`;

test('a range whose traffic falls in one bucket still draws the error rate and the latency', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(overview(LONE_START));
    await page.locator('[data-testid=kpi-requests] .kpi-value', { hasText: String(LONE.length) }).waitFor({ timeout: 10_000 });
    for (const id of CHARTS) await page.locator(`[data-testid=${id}] canvas`).waitFor({ timeout: 10_000 });
    // The error rate of the bucket (2 of 6) is a dot in the error chart; p50 and p99 dots in the latency chart.
    const red = await waitFor('error-rate dot', async () => ((await pixelsOfColor(page, 'chart-errors', RED)) > 8 ? true : undefined), 5000, 100).catch(() => false);
    assert.ok(red, `the error-rate chart draws nothing for one bucket (${await pixelsOfColor(page, 'chart-errors', RED)} red pixels)`);
    assert.ok((await pixelsOfColor(page, 'chart-latency', BLUE)) > 8, 'the latency chart draws the p50 of the one bucket');
    assert.ok((await pixelsOfColor(page, 'chart-latency', RED)) > 8, 'the latency chart draws the p99 of the one bucket');
  } finally {
    await page.context().close();
  }
});

test('tick labels read the value they mark, start at zero and do not overlap', { skip: SKIP }, async () => {
  for (const width of [1400, 900]) {
    const page = await newPage(fx.browser, width);
    try {
      await page.goto(overview(NIGHT_START));
      await page.locator('[data-testid=kpi-requests] .kpi-value', { hasText: String(NIGHT.length) }).waitFor({ timeout: 10_000 });
      await waitFor('tick labels', async () => (await chartTicks(page, 'chart-latency', 'y-tick')).ticks.length > 0, 10_000, 100).catch(() => undefined);
      for (const id of CHARTS) {
        const y = await chartTicks(page, id, 'y-tick');
        assert.ok(y.ticks.length >= 2, `${id} at ${width}px: y tick labels shown (${y.ticks.length})`);
        for (const t of y.ticks) {
          const read = readTick(t.text);
          assert.ok(Math.abs(read - t.value) <= 0.001 * Math.max(1, Math.abs(t.value)), `${id}: the tick at ${t.value} reads "${t.text}"`);
        }
        assert.equal(new Set(y.ticks.map((t) => t.text)).size, y.ticks.length, `${id}: no two y ticks read the same (${y.ticks.map((t) => t.text)})`);
        assert.equal(Math.min(...y.ticks.map((t) => t.value)), 0, `${id}: the y axis starts at zero (${y.ticks.map((t) => t.text)})`);

        const x = [...(await chartTicks(page, id, 'x-tick')).ticks, ...(await chartTicks(page, id, 'x-date')).ticks];
        assert.ok(x.length >= 3, `${id} at ${width}px: x tick labels shown (${x.length})`);
        for (const t of x) assert.ok(t.box.left >= y.chart.left - 0.5 && t.box.right <= y.chart.right + 0.5, `${id}: "${t.text}" lies within the chart`);
        const all: Tick[] = [...x, ...y.ticks];
        for (let i = 0; i < all.length; i++)
          for (let j = i + 1; j < all.length; j++) assert.ok(!overlaps(all[i].box, all[j].box), `${id} at ${width}px: "${all[i].text}" overlaps "${all[j].text}"`);
      }
      // The error rate is 50 % in every bucket, yet its axis starts at 0 %.
      const err = (await chartTicks(page, 'chart-errors', 'y-tick')).ticks;
      assert.ok(err.some((t) => t.text === '0%'), `error-rate ticks: ${err.map((t) => t.text)}`);
      assert.ok(err.some((t) => t.value >= 40), `the error-rate axis spans the 50 % rate: ${err.map((t) => t.text)}`);
      // Times are UTC; the date is written under the first label and again where the day changes.
      const dates = (await chartTicks(page, 'chart-requests', 'x-date')).ticks.map((t) => t.text);
      assert.deepEqual(dates, ['2026-01-11', '2026-01-12'], 'date labels');
      const times = (await chartTicks(page, 'chart-requests', 'x-tick')).ticks.map((t) => t.text);
      assert.ok(times.includes('00:00') && times.every((t) => /^\d\d:\d\d$/.test(t)), `time labels: ${times}`);
    } finally {
      await page.context().close();
    }
  }
});
