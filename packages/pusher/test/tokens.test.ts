// Token usage and model: from ai-statistics' ai_log, else from the response (plain JSON and SSE,
// OpenAI chat and Responses, Anthropic, Gemini), else the model from the request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, chatRequest, chunks, recordOf, AI_LOG_WRITER_WASM } from './helpers.js';

const sse = (events: Array<{ event?: string; data: unknown }>): string =>
  events.map((e) => (e.event ? `event: ${e.event}\n` : '') + `data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`).join('');

async function one(response: { headers: Record<string, string>; body: string | string[] }, request: { headers: Record<string, string>; body?: string } = chatRequest(), properties = {}, filterState: Record<string, string> = {}) {
  return recordOf({ request, response, properties, filterState });
}

test('OpenAI chat completions, plain JSON', async () => {
  const rec = await one({ headers: { ':status': '200', 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'x', model: 'gpt-4o-mini-2024-07-18', choices: [], usage: { prompt_tokens: 12, completion_tokens: 30, total_tokens: 42, prompt_tokens_details: { cached_tokens: 5 } } }) });
  assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens], ['gpt-4o-mini-2024-07-18', 12, 30, 42]);
});

test('OpenAI chat completions, SSE with the usage chunk last, split at odd boundaries', async () => {
  const body = sse([
    ...Array.from({ length: 50 }, (_, i) => ({ data: { model: 'gpt-4o', choices: [{ delta: { content: `t${i} "q" \\ ` } }], usage: null } })),
    { data: { model: 'gpt-4o', choices: [], usage: { prompt_tokens: 7, completion_tokens: 50, total_tokens: 57 } } },
    { data: '[DONE]' },
  ]);
  for (const size of [1, 7, 64, 100000]) {
    const rec = await one({ headers: { ':status': '200', 'content-type': 'text/event-stream; charset=utf-8' }, body: chunks(body, size) });
    assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens], ['gpt-4o', 7, 50, 57], `chunk size ${size}`);
  }
});

test('OpenAI Responses API, SSE: usage in response.completed', async () => {
  const body = sse([
    { event: 'response.created', data: { type: 'response.created', response: { model: 'gpt-4.1', usage: null } } },
    { event: 'response.output_text.delta', data: { type: 'response.output_text.delta', delta: 'hi' } },
    { event: 'response.completed', data: { type: 'response.completed', response: { model: 'gpt-4.1', usage: { input_tokens: 9, output_tokens: 3, total_tokens: 12, input_tokens_details: { cached_tokens: 1 } } } } },
  ]);
  const rec = await one({ headers: { ':status': '200', 'content-type': 'text/event-stream' }, body: chunks(body, 33) },
    { headers: { ...chatRequest().headers, ':path': '/v1/responses' }, body: '{"model":"gpt-4.1","input":"x"}' });
  assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens], ['gpt-4.1', 9, 3, 12]);
});

test('Anthropic messages: plain JSON, and SSE with input in message_start and output in message_delta', async () => {
  const plain = await one({ headers: { ':status': '200', 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'm', model: 'claude-3-5-haiku', usage: { input_tokens: 20, output_tokens: 8 } }) });
  assert.deepEqual([plain.model, plain.input_tokens, plain.output_tokens, plain.total_tokens], ['claude-3-5-haiku', 20, 8, 28]);
  const body = sse([
    { event: 'message_start', data: { type: 'message_start', message: { id: 'm', model: 'claude-sonnet-4', usage: { input_tokens: 25, output_tokens: 1 } } } },
    { event: 'content_block_delta', data: { type: 'content_block_delta', delta: { type: 'text_delta', text: 'usage: {"output_tokens": 999}' } } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 15 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ]);
  const streamed = await one({ headers: { ':status': '200', 'content-type': 'text/event-stream' }, body: chunks(body, 10) });
  assert.deepEqual([streamed.model, streamed.input_tokens, streamed.output_tokens, streamed.total_tokens], ['claude-sonnet-4', 25, 15, 40]);
});

test('Gemini: usageMetadata, model from modelVersion or from the path', async () => {
  const req = { headers: { ':method': 'POST', ':path': '/v1beta/models/gemini-2.0-flash:generateContent', ':authority': 'g', 'content-type': 'application/json' }, body: '{"contents":[]}' };
  const rec = await one({ headers: { ':status': '200', 'content-type': 'application/json' },
    body: JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 6, totalTokenCount: 10 } }) }, req);
  assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens], ['gemini-2.0-flash', 4, 6, 10]);
});

test('model from the request body when the response has none; no tokens when none are reported', async () => {
  const rec = await one({ headers: { ':status': '500', 'content-type': 'text/plain' }, body: 'upstream failed' });
  assert.equal(rec.model, 'gpt-4o-mini');
  assert.equal(rec.input_tokens, undefined);
  assert.equal(rec.total_tokens, undefined);
});

test('ai_log from filter state wins, double-encoded, escaped or plain, and is sent as an object', async () => {
  const ai = { model: 'qwen-max', input_token: '21', output_token: 17, api: 'qwen', llm_service_duration: 1590 };
  const response = { headers: { ':status': '200', 'content-type': 'application/json' }, body: '{"model":"other","usage":{"prompt_tokens":1,"completion_tokens":1}}' };
  for (const stored of [JSON.stringify(ai), JSON.stringify(JSON.stringify(ai)), JSON.stringify(ai).replaceAll('"', '\\"')]) {
    const rec = await one(response, chatRequest(), {}, { 'wasm.ai_log': stored });
    assert.deepEqual(rec.ai_log, ai);
    assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens, rec.api], ['qwen-max', 21, 17, 38, 'qwen']);
  }
  const bad = await one(response, chatRequest(), {}, { 'wasm.ai_log': 'not json {' });
  assert.equal(bad.ai_log, undefined);
  assert.equal(bad.model, 'other', 'an unreadable ai_log falls back to the response');
});

test('a plugin earlier in the chain that writes ai_log as ai-statistics does: its values reach the record', async (t) => {
  const ai = { model: 'deepseek-chat', input_token: 11, output_token: 22, total_token: 33, chat_id: 'c-1' };
  for (const double_encode of [false, true]) {
    const h = await harness({}, { before: [{ wasm: AI_LOG_WRITER_WASM, configuration: { ai_log: ai, double_encode } }] });
    t.after(() => h.host.close());
    const r = await h.host.runStream({ request: chatRequest(), response: { headers: { ':status': '200', 'content-type': 'application/json' }, body: '{}' } });
    assert.ok(r.filterState['wasm.ai_log'], 'the fixture wrote filter state');
    await h.host.idle();
    const [rec] = h.records();
    assert.deepEqual(rec.ai_log, ai);
    assert.deepEqual([rec.model, rec.input_tokens, rec.output_tokens, rec.total_tokens], ['deepseek-chat', 11, 22, 33]);
  }
});

test('garbage, truncated and deeply nested bodies never trap the plugin or touch the request', async (t) => {
  const traps: string[] = [];
  const h = await (await import('./helpers.js')).harness({}, { onTrap: (_p, where, message) => traps.push(`${where}: ${message}`) });
  t.after(() => h.host.close());
  let seed = 12345;
  const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  const alphabet = [...'{}[]":,\\ \n\r\tdata:usage_tokens0123456789-eE.nulltrue\u00e9\u{1F600}'];
  const bodies = [
    '{'.repeat(5000) + '"usage":{"prompt_tokens":1}' + '}'.repeat(5000),
    '[' + '"x",'.repeat(10000) + '{"usage":{"total_tokens":99999999999999999999999}}]',
    'data: {"usage":{"prompt_tokens":"12"}}\n\ndata: {"usage":{"prompt_tokens":-5,"completion_tokens":1e3}}\n\n',
    '"\\u12' + 'x'.repeat(100),
  ];
  for (let i = 0; i < 60; i++) {
    let s = '';
    const n = rnd(3000);
    for (let j = 0; j < n; j++) s += alphabet[rnd(alphabet.length)];
    bodies.push(s);
  }
  for (const [i, body] of bodies.entries()) {
    const bytes = Buffer.from(body);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) { const k = 1 + rnd(700); parts.push(bytes.subarray(at, at + k)); at += k; }
    const type = i % 2 ? 'text/event-stream' : 'application/json';
    const r = await h.host.runStream({
      request: { headers: { ':method': 'POST', ':path': '/v1/chat/completions', ':authority': 'a', 'content-type': 'application/json' }, body: parts.length ? parts : undefined },
      response: { headers: { ':status': '200', 'content-type': type }, body: parts.length ? parts : undefined },
    });
    assert.equal(r.response.status, 200);
    assert.ok(Buffer.concat(r.response.bodyChunks).equals(bytes), 'the body passes unchanged');
  }
  await h.host.idle();
  h.host.advance(1000);
  await h.host.idle();
  assert.deepEqual(traps, []);
  const recs = h.records();
  assert.equal(recs.length, bodies.length);
  assert.equal(recs[0].input_tokens, undefined, 'values nested beyond the scan depth are ignored');
  assert.ok(recs.every((r) => r.input_tokens === undefined || (Number.isInteger(r.input_tokens) && (r.input_tokens as number) >= 0)));
});
