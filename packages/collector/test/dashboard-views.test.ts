// The dashboard's views in a real browser against records written here, checked number by number:
// 429s apart from 5xx, the top lists past their first 8 rows and their links to the logs, a link
// to one record that is on no current page, the trace column beside an open record, the consumer
// view and the MCP view.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessLogRecord } from '@db-log-pusher/schema';
import { getJson } from './helpers.js';
import { en, expectText, groupRows, iso, newPage, pct, percentile, SKIP, startDashboard, type DashboardFixture } from './browser.js';

const START = Date.UTC(2026, 1, 3, 10, 0, 0);
const END = START + 3600_000;
const RANGE = `start=${iso(START)}&end=${iso(END)}&live=off`;
const MODELS = ['m-alpha', 'm-beta', 'm-gamma'];
const CONSUMERS = Array.from({ length: 12 }, (_, i) => `c${String(i + 1).padStart(2, '0')}`);

const RECORDS: AccessLogRecord[] = [];
const at = () => iso(START + 1000 + RECORDS.length * 15_000);
const trace = () => `${String(RECORDS.length).padStart(8, '0')}aaaabbbbccccddddeeeeffff`;
// Consumer c01 makes 25 requests, c02 23, … c12 3 (odd counts: no ties with the 12 MCP calls).
CONSUMERS.forEach((consumer, c) => {
  const i = c + 1;
  for (let j = 0; j < 27 - 2 * i; j++) {
    const code = j === 0 && i % 2 === 1 ? 429 : j === 1 && i % 3 === 0 ? 500 : 200;
    const input = code === 200 ? 10 * i + j : 0;
    const output = code === 200 ? i : 0;
    RECORDS.push({
      start_time: at(), trace_id: trace(), authority: 'llm.example.com', method: 'POST', path: '/v1/chat/completions', response_code: code,
      duration: 100 + 10 * i + j, model: MODELS[(i + j) % 3], consumer, route: 'ai-route', instance_id: `gw-${i % 2}`,
      input_tokens: input, output_tokens: output, total_tokens: input + output, downstream_remote_address: `10.1.0.${i}:5000`,
    });
  }
});
// MCP calls (no consumer): two servers, three tools.
const MCP: [server: string, tool: string, code: number, duration: number][] = [
  ['srv-a', 'search', 200, 10], ['srv-a', 'search', 200, 20], ['srv-a', 'search', 500, 30], ['srv-a', 'search', 200, 40], ['srv-a', 'search', 200, 500],
  ['srv-a', 'fetch', 200, 60], ['srv-a', 'fetch', 429, 70], ['srv-a', 'fetch', 200, 80],
  ['srv-b', 'create_ticket', 200, 100], ['srv-b', 'create_ticket', 200, 200], ['srv-b', 'create_ticket', 200, 300], ['srv-b', 'create_ticket', 503, 400],
];
for (const [mcp_server, mcp_tool, code, duration] of MCP) {
  RECORDS.push({
    start_time: at(), trace_id: trace(), authority: 'mcp.example.com', method: 'POST', path: '/mcp', response_code: code, duration,
    mcp_server, mcp_tool, route: 'mcp-route', instance_id: 'gw-mcp-1', downstream_remote_address: '10.2.0.1:5000',
  });
}

let fx: DashboardFixture;
before(async () => {
  if (!SKIP) fx = await startDashboard(RECORDS);
});
after(async () => fx?.close());

const of = (f: (r: AccessLogRecord) => boolean) => RECORDS.filter(f);
const sum = (rs: AccessLogRecord[], k: 'input_tokens' | 'output_tokens' | 'total_tokens') => rs.reduce((n, r) => n + (r[k] ?? 0), 0);
const ms = (n: number) => `${en(n)} ms`;

test('overview: 429s counted apart from 5xx', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/?${RANGE}`);
    const limited = of((r) => r.response_code === 429).length;
    await expectText(page.locator('[data-testid=kpi-rate-limited] .kpi-value'), en(limited), '429 KPI');
    await expectText(page.locator('[data-testid=kpi-rate-limited] .kpi-sub'), `${pct(limited, RECORDS.length)} of requests`, '429 share');
    await expectText(page.locator('[data-testid=kpi-error-rate] .kpi-sub'), `${of((r) => r.response_code! >= 500).length} server errors (5xx)`, '5xx apart');
    // The requests chart has a 429 line of its own.
    const legend = (await page.locator('[data-testid=chart-requests] .u-legend th').allTextContents()).map((t) => t.replace(/:$/, '').trim());
    assert.deepEqual(legend.slice(1), ['requests', '4xx', '429', '5xx']);
  } finally {
    await page.context().close();
  }
});

test('overview: top lists past their first 8 rows, and a group\'s logs', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/?${RANGE}`);

    // 13 consumer groups (12 and none); the top list shows 8 until "show all".
    const byConsumer = [...CONSUMERS.map((c) => [c, of((r) => r.consumer === c).length] as const), ['(none)', MCP.length] as const].sort((a, b) => b[1] - a[1]);
    const top = await groupRows(page, 'consumer', 8);
    assert.deepEqual(top.map((r) => [r.consumer, r.requests]), byConsumer.slice(0, 8).map(([c, n]) => [c, en(n)]));
    await page.locator('[data-testid=top-consumer] [data-testid=show-all]').click();
    const all = await groupRows(page, 'consumer', byConsumer.length);
    assert.deepEqual(all.map((r) => [r.consumer, r.requests]), byConsumer.map(([c, n]) => [c, en(n)]));
    assert.match(page.url(), /all=consumer/);

    // The last consumer's logs: the explorer over the same range, filtered by it.
    await page.locator('[data-testid=top-consumer] tr', { hasText: 'c12' }).locator('[data-testid=group-logs]').click();
    await expectText(page.locator('[data-testid=logs-total]'), `${of((r) => r.consumer === 'c12').length} records`, 'logs of c12');
    assert.match(page.url(), /#\/logs\?.*consumer=c12/);
  } finally {
    await page.context().close();
  }
});

test('log explorer: a link to a record on no current page shows it', { skip: SKIP }, async () => {
  // The collector selects a record by its id, and names a bad one.
  const oldest = (await getJson(`${fx.collector.url}/query?sort_order=asc&page_size=1`)).json.logs[0];
  const byId = (await getJson(`${fx.collector.url}/query?id=${oldest.id}`)).json;
  assert.deepEqual([byId.total, byId.logs[0].trace_id], [1, RECORDS[0].trace_id]);
  const bad = await getJson(`${fx.collector.url}/query?id=abc`);
  assert.equal(bad.status, 400);
  assert.match(JSON.stringify(bad.json), /\bid\b/);

  const page = await newPage(fx.browser);
  try {
    // Page 1 holds the 10 newest records; the oldest is on page 18.
    await page.goto(`${fx.collector.url}/#/logs?page_size=10&detail=${oldest.id}`);
    await expectText(page.locator('[data-testid=logs-total]'), `${RECORDS.length} records`, 'total');
    const r0 = RECORDS[0];
    await expectText(page.locator('[data-testid=detail-summary]'), `POST /v1/chat/completions → ${r0.response_code} · ${r0.duration} ms · ${r0.model} · ${r0.total_tokens} tokens`, 'the linked record');
    await expectText(page.locator('[data-testid=detail-fields] tr', { hasText: 'trace_id' }).locator('td'), r0.trace_id!, 'its trace id');
  } finally {
    await page.context().close();
  }
});

test('log explorer: the trace column stays in view beside an open record', { skip: SKIP }, async () => {
  // A laptop-sized window (1200 px): the record still opens beside the table, which is then at its narrowest.
  const page = await newPage(fx.browser, 1200, 900);
  try {
    await page.goto(`${fx.collector.url}/#/logs?page_size=10`);
    await expectText(page.locator('[data-testid=logs-total]'), `${RECORDS.length} records`, 'total');
    // With a record open beside the table, every row's trace link is fully visible.
    await page.locator('[data-testid=log-row]').first().click();
    await page.locator('[data-testid=detail]').waitFor({ timeout: 10_000 });
    const boxes = await page.locator('.table-scroll').evaluate((el) => ({
      table: el.getBoundingClientRect().toJSON(),
      traces: [...el.querySelectorAll('[data-testid=log-row] a[href*="trace_id="]')].map((a) => a.getBoundingClientRect().toJSON()),
    }));
    assert.equal(boxes.traces.length, 10, 'a trace link in every row');
    for (const t of boxes.traces) assert.ok(t.left >= boxes.table.left - 0.5 && t.right <= boxes.table.right + 0.5, `trace link at ${t.left}..${t.right} is clipped by the table (${boxes.table.left}..${boxes.table.right})`);
  } finally {
    await page.context().close();
  }
});

test('consumer view: spend of unpriced models, tokens, errors and 429s per consumer, and the models each uses', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/consumers?${RANGE}`);
    await expectText(page.locator('[data-testid=kpi-consumers] .kpi-value'), String(CONSUMERS.length), 'consumers KPI');
    await expectText(page.locator('[data-testid=kpi-spend] .kpi-value'), 'not priced', 'spend KPI: no model here has a price');
    await expectText(page.locator('[data-testid=kpi-rate-limited] .kpi-value'), en(of((r) => r.response_code === 429).length), '429s in the range');

    const rows = await groupRows(page, 'consumer', CONSUMERS.length + 1);
    for (const c of CONSUMERS) {
      const rs = of((r) => r.consumer === c);
      const row = rows.find((r) => r.consumer === c)!;
      const errors = rs.filter((r) => r.response_code! >= 400).length;
      assert.deepEqual(row, {
        consumer: c, requests: en(rs.length), spend: 'not priced', input: en(sum(rs, 'input_tokens')), output: en(sum(rs, 'output_tokens')),
        tokens: en(sum(rs, 'total_tokens')), errors: pct(errors, rs.length), '429': en(rs.filter((r) => r.response_code === 429).length),
        '5xx': en(rs.filter((r) => r.response_code! >= 500).length), p95: ms(percentile(rs.map((r) => r.duration!), 95)),
        // No streams and no cache reads here (dashboard-cost.test.ts has them).
        'first token p95': '–', cached: '–', '': 'logs →',
      }, `row of ${c}`);
    }

    // The busiest consumer is shown first; picking another shows its models.
    const models = async (c: string) => {
      await expectText(page.locator('[data-testid=consumer-detail] h2'), c, 'selected consumer');
      const rs = of((r) => r.consumer === c);
      const want = MODELS.map((m) => [m, rs.filter((r) => r.model === m)] as const).filter(([, x]) => x.length).sort((a, b) => b[1].length - a[1].length);
      const got = await groupRows(page, 'model', want.length);
      assert.deepEqual(got.map((r) => [r.model, r.requests, r.tokens]), want.map(([m, x]) => [m, en(x.length), en(sum(x, 'total_tokens'))]), `models of ${c}`);
    };
    await models('c01');
    await page.locator('[data-testid=top-consumer] tr', { hasText: 'c05' }).click();
    await models('c05');
    assert.match(page.url(), /selected=c05/);
  } finally {
    await page.context().close();
  }
});

test('MCP view: servers and tools with their calls, error rates and latency', { skip: SKIP }, async () => {
  const page = await newPage(fx.browser);
  try {
    await page.goto(`${fx.collector.url}/#/mcp?${RANGE}`);
    const calls = of((r) => !!r.mcp_server);
    await expectText(page.locator('[data-testid=kpi-calls] .kpi-value'), en(calls.length), 'calls KPI');
    await expectText(page.locator('[data-testid=kpi-servers] .kpi-value'), '2 · 3', 'servers and tools');
    await expectText(page.locator('[data-testid=kpi-error-rate] .kpi-value'), pct(calls.filter((r) => r.response_code! >= 400).length, calls.length), 'MCP error rate');
    await expectText(page.locator('[data-testid=kpi-rate-limited] .kpi-value'), '1', 'MCP 429s');

    const expectRow = (rs: AccessLogRecord[]) => {
      const d = rs.map((r) => r.duration!);
      return {
        calls: en(rs.length), errors: pct(rs.filter((r) => r.response_code! >= 400).length, rs.length), '5xx': en(rs.filter((r) => r.response_code! >= 500).length),
        p50: ms(percentile(d, 50)), p95: ms(percentile(d, 95)), p99: ms(percentile(d, 99)), '': 'logs →',
      };
    };
    const servers = await groupRows(page, 'mcp_server', 2);
    assert.deepEqual(servers, ['srv-a', 'srv-b'].map((s) => ({ mcp_server: s, ...expectRow(calls.filter((r) => r.mcp_server === s)) })), 'servers');
    const tools = await groupRows(page, 'mcp_tool', 3);
    assert.deepEqual(tools, ['search', 'create_ticket', 'fetch'].map((t) => ({ mcp_tool: t, ...expectRow(calls.filter((r) => r.mcp_tool === t)) })), 'tools');

    // Picking a server narrows the tools to it; the servers stay listed.
    await page.locator('[data-testid=top-mcp_server] tr', { hasText: 'srv-b' }).click();
    const only = await groupRows(page, 'mcp_tool', 1);
    assert.equal(only[0].mcp_tool, 'create_ticket');
    await expectText(page.locator('[data-testid=kpi-calls] .kpi-value'), '4', 'calls of srv-b');
    assert.equal((await groupRows(page, 'mcp_server', 2)).length, 2);
  } finally {
    await page.context().close();
  }
});
