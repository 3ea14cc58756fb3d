// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real
// collector holding known records: the numbers and rows it shows, the record detail, the trace
// link, pagination, URL state and the QUERY_TOKEN prompt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { AccessLogRecord } from '@db-log-pusher/schema';
import { sampleRecords } from '../src/stats/index.js';
import { waitFor } from './helpers.js';
import { en, expectText, newPage, rowByHeader, SKIP, startDashboard, type DashboardFixture } from './browser.js';

const TOKEN = 'dash-token';
const START = Date.UTC(2026, 0, 10, 8, 0, 0);
const END = START + 3600_000;
const TRACE = 'trace-dash-0001';

// 57 sample records over the hour, plus two hand-made records of one trace with captured data.
const SPECIAL: AccessLogRecord[] = [
  {
    start_time: new Date(START + 1_800_000).toISOString(), trace_id: TRACE, authority: 'llm.example.com', method: 'POST',
    path: '/v1/chat/completions', response_code: 200, duration: 1234, model: 'gpt-4o', consumer: 'acme', route: 'ai-route',
    input_tokens: 11, output_tokens: 22, total_tokens: 33, bytes_received: 100, bytes_sent: 200, downstream_remote_address: '10.9.9.9:5000', instance_id: 'gw-7',
    ai_log: { model: 'gpt-4o', input_token: 11, output_token: 22, fallback_from: 'primary-route' },
    req_headers: { 'content-type': 'application/json', 'x-mse-consumer': 'acme' },
    resp_headers: { 'content-type': 'application/json', 'x-envoy-upstream-service-time': '1200' },
    req_body: '{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}',
    resp_body: '{"id":"chatcmpl-1","usage":{"prompt_tokens":11,"completion_tokens":22}}',
  },
  {
    start_time: new Date(START + 1_800_500).toISOString(), trace_id: TRACE, authority: 'mcp.example.com', method: 'POST',
    path: '/mcp', response_code: 502, duration: 40, mcp_server: 'tools', mcp_tool: 'search', consumer: 'acme', route: 'mcp-route',
    downstream_remote_address: '10.9.9.9:5001', instance_id: 'gw-7',
  },
];
const RECORDS = [...sampleRecords({ count: 57, seed: 3, startMs: START + 1000, spanMs: 3500_000 }), ...SPECIAL];

let fx: DashboardFixture;

before(async () => {
  if (!SKIP) fx = await startDashboard(RECORDS, { QUERY_TOKEN: TOKEN });
});
after(async () => fx?.close());


function clientOf(r: AccessLogRecord): string | null {
  const xff = r.x_forwarded_for?.trim();
  if (xff && xff !== '-') return xff.split(',')[0].trim();
  return r.downstream_remote_address ? r.downstream_remote_address.split(':')[0] : null;
}

async function openWithToken(page: Page, hash: string): Promise<void> {
  await page.goto(`${fx.collector.url}/${hash}`);
  const prompt = page.locator('[data-testid=token-prompt]');
  await prompt.waitFor({ timeout: 10_000 });
  await prompt.locator('input[name=token]').fill(TOKEN);
  await prompt.locator('button[type=submit]').click();
  await prompt.waitFor({ state: 'detached', timeout: 10_000 });
}

const RANGE = `start=${new Date(START).toISOString()}&end=${new Date(END).toISOString()}&live=off`;

test('overview: asks for the token once, then shows the KPIs and top lists of the data', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  const ctx = page.context();
  try {
    // A wrong token is refused and asked for again.
    await page.goto(`${fx.collector.url}/#/?${RANGE}`);
    const prompt = page.locator('[data-testid=token-prompt]');
    await prompt.waitFor({ timeout: 10_000 });
    await prompt.locator('input[name=token]').fill('wrong');
    await prompt.locator('button[type=submit]').click();
    await expectText(prompt.locator('p'), /token was refused/, 'prompt after a wrong token');
    await prompt.locator('input[name=token]').fill(TOKEN);
    await prompt.locator('button[type=submit]').click();
    await prompt.waitFor({ state: 'detached', timeout: 10_000 });

    const errors = RECORDS.filter((r) => r.response_code! >= 400).length;
    const durations = RECORDS.map((r) => r.duration!).sort((a, b) => a - b);
    const p95 = durations[Math.ceil(0.95 * durations.length) - 1];
    await expectText(page.locator('[data-testid=kpi-requests] .kpi-value'), en(RECORDS.length), 'requests KPI');
    await expectText(page.locator('[data-testid=kpi-uv] .kpi-value'), en(new Set(RECORDS.map(clientOf)).size), 'UV KPI');
    await expectText(page.locator('[data-testid=kpi-error-rate] .kpi-value'), `${((errors / RECORDS.length) * 100).toFixed(2)}%`, 'error rate KPI');
    await expectText(page.locator('[data-testid=kpi-p95] .kpi-value'), `${en(p95)} ms`, 'p95 KPI');
    await expectText(page.locator('[data-testid=kpi-fallbacks] .kpi-value'), en(RECORDS.filter((r) => r.ai_log && 'fallback_from' in r.ai_log).length), 'fallbacks KPI');
    assert.equal(await page.locator('[data-testid=chart-requests] canvas').count(), 1, 'the requests chart is drawn');

    // Top models: the busiest first, with its request count.
    const counts = new Map<string, number>();
    for (const r of RECORDS) if (r.model) counts.set(r.model, (counts.get(r.model) ?? 0) + 1);
    const [topModel, topCount] = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    const firstRow = page.locator('[data-testid=top-model] tbody tr').first();
    await expectText(firstRow.locator('td.key'), topModel, 'top model');
    await expectText(firstRow.locator('td').nth(1), en(topCount), 'top model requests');
    const tools = page.locator('[data-testid=top-mcp_tool] tbody tr td.key');
    await expectText(tools.filter({ hasText: 'search' }), 'search', 'MCP tool listed');

    // Clicking a group filters by it; the filter lands in the URL and the KPIs follow.
    await firstRow.click();
    await expectText(page.locator('[data-testid=kpi-requests] .kpi-value'), en(topCount), 'requests KPI filtered by model');
    assert.match(page.url(), new RegExp(`model=${encodeURIComponent(topModel)}`));

    // The token is kept: a reload shows data without asking again.
    await page.reload();
    await expectText(page.locator('[data-testid=kpi-requests] .kpi-value'), en(topCount), 'KPI after reload (filter kept in the URL)');
    assert.equal(await page.locator('[data-testid=token-prompt]').count(), 0, 'no token prompt after reload');
  } finally {
    await ctx.close();
  }
});

test('log explorer: rows, pagination, record detail and the trace link', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  const ctx = page.context();
  try {
    const range = `start_time=${new Date(START).toISOString()}&end=${new Date(END).toISOString()}`;
    await openWithToken(page, `#/logs?${range}&page_size=10`);
    const newest = [...RECORDS].sort((a, b) => Date.parse(b.start_time!) - Date.parse(a.start_time!));
    await expectText(page.locator('[data-testid=logs-total]'), `${RECORDS.length} records`, 'total');
    await expectText(page.locator('[data-testid=pager] span'), `page 1 of ${Math.ceil(RECORDS.length / 10)}`, 'pager');
    const rows = page.locator('[data-testid=log-row]');
    await waitFor('10 rows', async () => (await rows.count()) === 10, 10_000);
    const cells = (i: number) => rowByHeader(page.locator('[data-testid=logs-table]'), rows.nth(i));
    const first = await cells(0);
    assert.equal(first['time (UTC)'], newest[0].start_time!.replace('T', ' ').replace('Z', ''));
    assert.equal(first.status, String(newest[0].response_code));
    assert.equal(first.model, newest[0].model ?? '');

    await page.locator('[data-testid=pager] button', { hasText: 'next' }).click();
    await expectText(page.locator('[data-testid=pager] span'), `page 2 of ${Math.ceil(RECORDS.length / 10)}`, 'pager page 2');
    await expectText(rows.first().locator('td').first(), newest[10].start_time!.replace('T', ' ').replace('Z', ''), 'first row of page 2');
    assert.match(page.url(), /page=2/);

    // The trace link lists every record of the trace, oldest first.
    await page.goto(`${fx.collector.url}/#/logs?trace_id=${TRACE}&sort_order=asc`);
    await expectText(page.locator('[data-testid=logs-total]'), '2 records', 'records of the trace');
    const a = await cells(0);
    assert.deepEqual([a.authority, a.status, a.model, a.tokens, a.route, a.instance], ['llm.example.com', '200', 'gpt-4o', '33', 'ai-route', 'gw-7']);
    // An MCP call shows its server, tool, route and the gateway instance that saw it.
    const b = await cells(1);
    assert.deepEqual(
      [b.authority, b.status, b['MCP server'], b['MCP tool'], b.route, b.instance, b.consumer],
      ['mcp.example.com', '502', 'tools', 'search', 'mcp-route', 'gw-7', 'acme'],
    );

    // Detail of one record: ai_log, headers and bodies pretty-printed.
    await rows.first().click();
    const detail = page.locator('[data-testid=detail]');
    await detail.waitFor({ timeout: 10_000 });
    await expectText(detail.locator('[data-testid=detail-summary]'), 'POST /v1/chat/completions → 200 · 1234 ms · gpt-4o · 33 tokens', 'detail summary');
    const aiLog = (await detail.locator('[data-testid=detail-ai_log]').textContent()) ?? '';
    assert.deepEqual(JSON.parse(aiLog), SPECIAL[0].ai_log);
    assert.match(aiLog, /\n {2}"fallback_from": "primary-route"/);
    await expectText(detail.locator('[data-testid=detail-req_headers] tr', { hasText: 'x-mse-consumer' }).locator('td'), 'acme', 'captured request header');
    await expectText(detail.locator('[data-testid=detail-resp_headers] tr', { hasText: 'x-envoy-upstream-service-time' }).locator('td'), '1200', 'captured response header');
    const body = (await detail.locator('[data-testid=detail-req_body]').textContent()) ?? '';
    assert.match(body, /\n {2}"messages": \[/);
    assert.match(page.url(), /detail=/);

    // From the detail, the trace link of a record found by other filters.
    await page.goto(`${fx.collector.url}/#/logs?${range}&consumer=acme&route=ai-route`);
    await expectText(page.locator('[data-testid=logs-total]'), '1 record', 'filtered to the one record');
    await rows.first().click();
    await page.locator('[data-testid=trace-link]').click();
    await expectText(page.locator('[data-testid=logs-total]'), '2 records', 'trace link result');
    assert.match(page.url(), new RegExp(`trace_id=${TRACE}`));
  } finally {
    await ctx.close();
  }
});
