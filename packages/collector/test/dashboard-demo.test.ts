// `npm run demo` as a user runs it (minus the build, which `npm test` does first): real records
// reach the collector through the plugin wasm in the gateway, the statistics reflect the generated
// traffic, and Ctrl-C (SIGINT) stops everything and exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { getJson, waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WASM = `${ROOT}packages/pusher/build/db-log-pusher.wasm`;

test('the demo fills the dashboard with records that went through the wasm, and stops on Ctrl-C', async () => {
  assert.ok(existsSync(WASM), `${WASM} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'scripts/demo.ts', '--port', '0', '--gateway-port', '0', '--rate', '40', '--requests', '80'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const dashboard = await waitFor('the demo to print its URLs', () => {
      if (child.exitCode !== null) throw new Error(`demo exited with ${child.exitCode}: ${out}`);
      return /Dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out)?.[1];
    }, 60_000, 100);
    assert.match(out, /AI gateway\s+http:\/\/127\.0\.0\.1:\d+/);

    // The page is served, and records arrive within seconds.
    const page = await fetch(`${dashboard}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
    await waitFor('80 records', async () => (await getJson(`${dashboard}/query?page_size=1`)).json.total >= 80, 60_000, 250);

    const stats = (await getJson(`${dashboard}/stats?group_by=route`)).json;
    assert.ok(stats.kpis.pv >= 80, JSON.stringify(stats.kpis));
    assert.ok(stats.kpis.total_tokens > 0, 'token counts taken from the mock LLM responses');
    assert.ok(stats.kpis.uv > 1 && stats.kpis.uv <= 24, `uv=${stats.kpis.uv}`);
    const routes = stats.groups.map((g: { key: string }) => g.key);
    assert.ok(routes.includes('ai-route') && routes.includes('mcp-route'), routes.join(','));

    // What the dashboard's AI figures need: spend, cache reads and streamed answers.
    assert.ok(stats.kpis.cost > 0 && stats.kpis.cached_share > 0 && stats.kpis.first_token_p95 > 0, JSON.stringify(stats.kpis));

    type Group = { key: string | null; cost: number | null; total_tokens: number };
    const byModel: Group[] = (await getJson(`${dashboard}/stats?group_by=model&kpis=false`)).json.groups;
    const models = byModel.map((g) => g.key);
    assert.ok(models.some((m) => ['gpt-4o', 'gpt-4o-mini', 'qwen-max', 'deepseek-chat', 'claude-3-5-sonnet'].includes(String(m))), models.join(','));
    // Models with a price and models without one (self-hosted, or priced in another currency).
    assert.ok(byModel.some((g) => g.cost !== null && g.cost > 0) && byModel.some((g) => g.key !== null && g.cost === null && g.total_tokens > 0), JSON.stringify(byModel));
    const tools = (await getJson(`${dashboard}/stats?group_by=mcp_tool&bizType=MCP_SERVER&kpis=false`)).json.groups;
    assert.ok(tools.length > 0 && tools.every((g: { key: string | null }) => g.key !== null), JSON.stringify(tools));

    // A record as the plugin wrote it: instance from node metadata, captured headers redacted.
    const [log] = (await getJson(`${dashboard}/query?page_size=1&route=ai-route&status=200`)).json.logs;
    assert.match(String(log.instance_id), /^demo-gateway-\d$/);
    assert.equal(log.req_headers.authorization, '[REDACTED]');
  } finally {
    child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<string>((r) => (timer = setTimeout(() => r('timeout'), 30_000)))]);
    clearTimeout(timer);
    if (code === 'timeout') child.kill('SIGKILL');
    assert.equal(code, 0, `demo did not stop cleanly on SIGINT:\n${out.slice(-2000)}`);
    assert.match(out, /\[demo\] stopped \(\d+ requests sent/);
  }
});
