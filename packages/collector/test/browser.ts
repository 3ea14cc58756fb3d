// Shared by the dashboard's browser tests: Debian's Chromium through playwright-core, a collector
// holding known records, and ways to read what the page shows (texts, table cells by column,
// chart tick labels, the pixels a chart series drew).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { AccessLogRecord } from '@db-log-pusher/schema';
import { startCollector, type RunningCollector } from '../src/index.js';
import { dashboardDir } from '../src/routes/dashboard.js';
import { getJson, post, removeDir, tempDir, testConfig, waitFor } from './helpers.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Without Chromium the browser tests are skipped with the reason, except in CI (.ci/run installs it).
if (!existsSync(CHROMIUM) && process.env.CI) throw new Error(`${CHROMIUM} is missing in CI: .ci/run must install chromium`);
export const SKIP: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (apt-get install chromium): browser tests skipped`;

export interface DashboardFixture {
  collector: RunningCollector;
  browser: Browser;
  close(): Promise<void>;
}

/** A collector (SQLite in a temp dir) holding `records`, and a headless Chromium. */
export async function startDashboard(records: AccessLogRecord[], env: Record<string, string> = {}): Promise<DashboardFixture> {
  const dir = tempDir();
  // DASHBOARD_DIR runs the tests against another build of the page (e.g. an older one).
  const config = testConfig(dir, { ...(process.env.DASHBOARD_DIR ? { DASHBOARD_DIR: process.env.DASHBOARD_DIR } : {}), ...env });
  assert.ok(existsSync(`${dashboardDir(config)}/index.html`), `the dashboard is not built in ${dashboardDir(config)}: run \`npm run build\` first`);
  const collector = await startCollector(config);
  const auth: Record<string, string> = env.QUERY_TOKEN ? { authorization: `Bearer ${env.QUERY_TOKEN}` } : {};
  const r = await post(`${collector.url}/ingest`, JSON.stringify(records), 'application/json');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  await waitFor('records stored', async () => (await getJson(`${collector.url}/query?page_size=1`, auth)).json.total === records.length);
  // playwright gives every launch a fresh, empty profile directory of its own.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    collector,
    browser,
    async close() {
      await browser.close();
      await collector.close();
      removeDir(dir);
    },
  };
}

/** A page in a fresh context (its own localStorage) at a desktop size. */
export async function newPage(browser: Browser, width = 1400, height = 1000): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  return ctx.newPage();
}

/** Waits until the locator's text equals `want` (or matches it), then asserts it for a clear message. */
export async function expectText(loc: Locator, want: string | RegExp, what: string): Promise<void> {
  let last = '';
  try {
    await waitFor(what, async () => {
      last = ((await loc.first().textContent({ timeout: 1000 })) ?? '').trim();
      return typeof want === 'string' ? last === want : want.test(last);
    }, 10_000, 100);
  } catch {
    /* reported below with the last text seen */
  }
  if (typeof want === 'string') assert.equal(last, want, what);
  else assert.match(last, want, what);
}

export const en = (n: number) => n.toLocaleString('en-US');
export const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(2)}%`;
export const iso = (ms: number) => new Date(ms).toISOString();

/** Nearest-rank percentile, as /stats computes it. */
export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
}

/** The texts of one table row keyed by the header text of each column. */
export async function rowByHeader(table: Locator, row: Locator): Promise<Record<string, string>> {
  const heads = (await table.locator('thead th').allTextContents()).map((s) => s.trim());
  const cells = (await row.locator('td').allTextContents()).map((s) => s.trim());
  return Object.fromEntries(heads.map((h, i) => [h, cells[i] ?? '']));
}

/** Every row of a group table (`top-<by>`) keyed by header, waiting until it has `n` rows. */
export async function groupRows(page: Page, by: string, n: number): Promise<Record<string, string>[]> {
  const table = page.locator(`[data-testid=top-${by}] table`);
  const rows = table.locator('tbody tr');
  await waitFor(`${n} rows in top-${by}`, async () => (await rows.count()) === n, 10_000, 100).catch(() => undefined);
  assert.equal(await rows.count(), n, `rows of top-${by}`);
  const out: Record<string, string>[] = [];
  for (let i = 0; i < n; i++) out.push(await rowByHeader(table, rows.nth(i)));
  return out;
}

export interface Tick {
  text: string;
  value: number;
  box: { left: number; right: number; top: number; bottom: number };
}

/** The visible tick labels of a chart (`.x-tick`, `.x-date` or `.y-tick`), and the chart box. */
export async function chartTicks(page: Page, testId: string, cls: 'x-tick' | 'x-date' | 'y-tick'): Promise<{ ticks: Tick[]; chart: Tick['box'] }> {
  // No named functions inside evaluate: tsx would wrap them in a helper the page does not have.
  const raw = await page.locator(`[data-testid=${testId}]`).evaluate((el, c) => ({
    ticks: [...el.querySelectorAll(`.${c}`)]
      .filter((e) => !(e as HTMLElement).hidden && (e as HTMLElement).offsetWidth > 0)
      .map((e) => ({ text: (e.textContent ?? '').trim(), value: Number((e as HTMLElement).dataset.value), box: e.getBoundingClientRect().toJSON() })),
    chart: el.querySelector('.chart-box')!.getBoundingClientRect().toJSON(),
  }), cls);
  const box = (b: DOMRect) => ({ left: b.left, right: b.right, top: b.top, bottom: b.bottom });
  return { ticks: raw.ticks.map((t) => ({ ...t, box: box(t.box) })), chart: box(raw.chart) };
}

/** How many canvas pixels of a chart are (nearly) the colour `hex`: what a series drew. */
export async function pixelsOfColor(page: Page, testId: string, hex: string): Promise<number> {
  const [R, G, B] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return page.locator(`[data-testid=${testId}] canvas`).evaluate((c, [r0, g0, b0]) => {
    const canvas = c as HTMLCanvasElement;
    const d = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 200 && Math.abs(d[i] - r0) + Math.abs(d[i + 1] - g0) + Math.abs(d[i + 2] - b0) < 40) n++;
    return n;
  }, [R, G, B]);
}

/** The number a tick label reads: `2.5`, `12.5k`, `3M`, `40%`, `850ms`, `1.5s`. */
export function readTick(text: string): number {
  const m = /^(-?[\d.,]+)\s*(k|M|G|%|ms|s)?$/.exec(text);
  assert.ok(m, `tick label "${text}" is not a number`);
  const n = Number(m[1].replace(/,/g, ''));
  const mult: Record<string, number> = { k: 1e3, M: 1e6, G: 1e9, '%': 1, ms: 1, s: 1000 };
  return n * (m[2] ? mult[m[2]] : 1);
}

export function overlaps(a: Tick['box'], b: Tick['box']): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
}
