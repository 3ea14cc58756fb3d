import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMockLlm, predictUsage, type MockLlm } from '../src/index.js';

let llm: MockLlm;
before(async () => {
  llm = await startMockLlm({ port: 0 });
});
after(async () => {
  await llm.close();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(llm.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** data payloads of an SSE body, with their event names. */
function sseEvents(text: string): { event?: string; data: string }[] {
  return text.split('\n\n').filter((b) => b.trim()).map((block) => {
    const ev = /^event: (.*)$/m.exec(block)?.[1];
    const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    return { event: ev, data };
  });
}

const chat = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'one two three four five' }] };

test('token counts are predictable from the request', () => {
  assert.deepEqual(predictUsage(chat), { input: 5, output: 8, total: 13 });
  assert.deepEqual(predictUsage({ ...chat, max_tokens: 3 }), { input: 5, output: 3, total: 8 });
  assert.equal(predictUsage({ contents: [{ parts: [{ text: 'a b' }] }] }).input, 2);
});

test('OpenAI chat completions, plain JSON', async () => {
  const r = await post('/v1/chat/completions', chat);
  assert.equal(r.status, 200);
  const j = (await r.json()) as any;
  assert.equal(j.model, 'gpt-4o-mini');
  assert.deepEqual(j.usage, { prompt_tokens: 5, completion_tokens: 8, total_tokens: 13 });
  assert.equal(j.choices[0].message.content.split(' ').length, 8);
});

test('OpenAI chat completions, SSE with a final usage chunk when asked', async () => {
  const r = await post('/v1/chat/completions', { ...chat, max_tokens: 4, stream: true, stream_options: { include_usage: true } });
  assert.equal(r.headers.get('content-type'), 'text/event-stream');
  const events = sseEvents(await r.text());
  assert.equal(events.at(-1)!.data, '[DONE]');
  const last = JSON.parse(events.at(-2)!.data);
  assert.deepEqual(last.usage, { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
  const r2 = await post('/v1/chat/completions', { ...chat, stream: true });
  const noUsage = sseEvents(await r2.text()).filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data));
  assert.ok(noUsage.every((c) => c.usage === null));
});

test('OpenAI Responses API, plain and SSE', async () => {
  const plain = (await (await post('/v1/responses', { model: 'gpt-4.1', input: 'hello there' })).json()) as any;
  assert.equal(plain.usage.input_tokens, 2);
  assert.equal(plain.usage.total_tokens, 10);
  const events = sseEvents(await (await post('/v1/responses', { model: 'gpt-4.1', input: 'hello there', stream: true })).text());
  const done = events.find((e) => e.event === 'response.completed')!;
  assert.equal(JSON.parse(done.data).response.usage.output_tokens, 8);
});

test('Anthropic messages, plain and SSE (input in message_start, output in message_delta)', async () => {
  const body = { model: 'claude-3-5-haiku', max_tokens: 6, messages: [{ role: 'user', content: [{ type: 'text', text: 'a b c' }] }] };
  const plain = (await (await post('/v1/messages', body)).json()) as any;
  assert.deepEqual(plain.usage, { input_tokens: 3, output_tokens: 6 });
  const events = sseEvents(await (await post('/v1/messages', { ...body, stream: true })).text());
  assert.equal(JSON.parse(events.find((e) => e.event === 'message_start')!.data).message.usage.input_tokens, 3);
  assert.equal(JSON.parse(events.find((e) => e.event === 'message_delta')!.data).usage.output_tokens, 6);
});

test('Gemini generateContent and streamGenerateContent', async () => {
  const body = { contents: [{ role: 'user', parts: [{ text: 'x y z w' }] }] };
  const plain = (await (await post('/v1beta/models/gemini-2.0-flash:generateContent', body)).json()) as any;
  assert.deepEqual(plain.usageMetadata, { promptTokenCount: 4, candidatesTokenCount: 8, totalTokenCount: 12 });
  assert.equal(plain.modelVersion, 'gemini-2.0-flash');
  const events = sseEvents(await (await post('/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse', body)).text());
  assert.equal(JSON.parse(events.at(-1)!.data).usageMetadata.totalTokenCount, 12);
});

test('error injection by header and by model name, and latency', async () => {
  const r = await post('/v1/chat/completions', chat, { 'x-mock-status': '503' });
  assert.equal(r.status, 503);
  const r2 = await post('/v1/chat/completions', { ...chat, model: 'error-429' });
  assert.equal(r2.status, 429);
  assert.equal(((await r2.json()) as any).error.type, 'rate_limit_error');
  const t0 = Date.now();
  const r3 = await post('/v1/chat/completions', chat, { 'x-mock-latency-ms': '50' });
  assert.equal(r3.status, 200);
  assert.ok(Date.now() - t0 >= 45);
});

test('JSON-RPC MCP tools/call', async () => {
  const r = await post('/mcp', { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'echo', arguments: { text: 'hi' } } });
  const j = (await r.json()) as any;
  assert.equal(j.id, 7);
  assert.equal(j.result.content[0].text, 'echo: {"text":"hi"}');
  const bad = (await (await post('/mcp', { jsonrpc: '2.0', id: 8, method: 'nope' })).json()) as any;
  assert.equal(bad.error.code, -32601);
});

test('bad input gets a clear 4xx', async () => {
  const r = await fetch(llm.url + '/v1/chat/completions', { method: 'POST', body: 'not json' });
  assert.equal(r.status, 400);
  assert.match(((await r.json()) as any).error.message, /JSON object/);
  assert.equal((await fetch(llm.url + '/nope', { method: 'POST', body: '{}' })).status, 404);
});

test('CLI --help lists the options and the CLI serves until SIGTERM', async () => {
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const help = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cli, '--help']);
  let out = '';
  help.stdout.on('data', (d) => (out += d));
  const code = await new Promise((r) => help.on('close', r));
  assert.equal(code, 0);
  assert.match(out, /--latency-ms/);
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', cli, '--port', '0']);
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /"url":"([^"]+)"/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.on('exit', () => reject(new Error('exited: ' + buf)));
  });
  const r = await fetch(url + '/health');
  assert.equal(await r.text(), 'ok');
  child.kill('SIGTERM');
  const exit = await new Promise((r) => child.on('exit', (c) => r(c)));
  assert.equal(exit, 0);
});

test('cache and reasoning details only when the request asks for them, in each provider\'s shape', async () => {
  const words = 'one two three four five six seven eight';
  const oa = (await (await post('/v1/chat/completions', { model: 'o3-mini', prompt_cache_key: 'k', reasoning_effort: 'low', messages: [{ role: 'user', content: words }] })).json()) as any;
  assert.deepEqual(oa.usage, { prompt_tokens: 8, completion_tokens: 8, total_tokens: 16, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 4 } });
  const resp = (await (await post('/v1/responses', { model: 'gpt-5', prompt_cache_key: 'k', reasoning: { effort: 'low' }, input: words })).json()) as any;
  assert.deepEqual([resp.usage.input_tokens_details, resp.usage.output_tokens_details], [{ cached_tokens: 4 }, { reasoning_tokens: 4 }]);
  const claude = (await (await post('/v1/messages', { model: 'claude-sonnet-4', max_tokens: 6, system: [{ type: 'text', text: words, cache_control: { type: 'ephemeral' } }], messages: [] })).json()) as any;
  assert.deepEqual(claude.usage, { input_tokens: 4, cache_read_input_tokens: 4, cache_creation_input_tokens: 0, output_tokens: 6 }, 'Anthropic counts cache reads apart');
  const gem = (await (await post('/v1beta/models/gemini-2.5-pro:generateContent', { contents: [{ parts: [{ text: words }] }], generationConfig: { thinkingConfig: { thinkingBudget: 64 } } })).json()) as any;
  assert.deepEqual(gem.usageMetadata, { promptTokenCount: 8, candidatesTokenCount: 4, totalTokenCount: 16, thoughtsTokenCount: 4 });
  assert.deepEqual(predictUsage({ model: 'x', messages: [{ role: 'user', content: 'a' }] }), { input: 1, output: 8, total: 9 }, 'plain requests unchanged');
});
