// The AI usage details: cached, cache-write and reasoning tokens, first-token and service time,
// response type and session, from ai-statistics' ai_log, else from what the plugin sees itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeaderMap } from '@db-log-pusher/wasm-host';
import { harness, chatRequest, chunks, recordOf } from './helpers.js';

const sse = (events: unknown[]): string => events.map((d) => `data: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`).join('');
const JSON_TYPE = { ':status': '200', 'content-type': 'application/json' };
const SSE_TYPE = { ':status': '200', 'content-type': 'text/event-stream' };
const pick = (r: Record<string, unknown>) => [r.input_tokens, r.output_tokens, r.total_tokens, r.cached_tokens, r.cache_write_tokens, r.reasoning_tokens, r.response_type];

async function one(response: { headers: Record<string, string>; body: string | string[] }, filterState: Record<string, string> = {}, request = chatRequest()) {
  return recordOf({ request, response, filterState });
}

test('OpenAI chat: cached and reasoning tokens from the *_details objects, plain JSON and SSE', async () => {
  const usage = { prompt_tokens: 100, completion_tokens: 40, total_tokens: 140, prompt_tokens_details: { cached_tokens: 64, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 25, audio_tokens: 0 } };
  const plain = await one({ headers: JSON_TYPE, body: JSON.stringify({ model: 'o3-mini', choices: [], usage }) });
  assert.deepEqual(pick(plain), [100, 40, 140, 64, undefined, 25, 'normal']);
  const body = sse([{ model: 'o3-mini', choices: [{ delta: { content: '"cached_tokens": 9' } }], usage: null }, { model: 'o3-mini', choices: [], usage }, '[DONE]']);
  for (const size of [1, 9, 100000]) {
    const rec = await one({ headers: SSE_TYPE, body: chunks(body, size) });
    assert.deepEqual(pick(rec), [100, 40, 140, 64, undefined, 25, 'stream'], `chunk size ${size}`);
  }
});

test('OpenAI Responses API: input_tokens_details and output_tokens_details, in response.completed', async () => {
  const usage = { input_tokens: 50, output_tokens: 30, total_tokens: 80, input_tokens_details: { cached_tokens: 20 }, output_tokens_details: { reasoning_tokens: 12 } };
  const plain = await one({ headers: JSON_TYPE, body: JSON.stringify({ object: 'response', model: 'gpt-5', usage }) });
  assert.deepEqual(pick(plain), [50, 30, 80, 20, undefined, 12, 'normal']);
  const body = sse([{ type: 'response.created', response: { model: 'gpt-5', usage: null } }, { type: 'response.completed', response: { model: 'gpt-5', usage } }]);
  const rec = await one({ headers: SSE_TYPE, body: chunks(body, 17) });
  assert.deepEqual(pick(rec), [50, 30, 80, 20, undefined, 12, 'stream']);
});

test('Anthropic: cache reads and writes are added to input_tokens, plain JSON and SSE', async () => {
  const plain = await one({ headers: JSON_TYPE, body: JSON.stringify({ model: 'claude-sonnet-4', usage: { input_tokens: 10, cache_read_input_tokens: 300, cache_creation_input_tokens: 40, output_tokens: 7 } }) });
  assert.deepEqual(pick(plain), [350, 7, 357, 300, 40, undefined, 'normal']);
  const body = sse([
    { type: 'message_start', message: { model: 'claude-sonnet-4', usage: { input_tokens: 5, cache_read_input_tokens: 1000, cache_creation_input_tokens: 0, output_tokens: 1 } } },
    { type: 'content_block_delta', delta: { type: 'text_delta', text: 'x' } },
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 20 } },
    { type: 'message_stop' },
  ]);
  const rec = await one({ headers: SSE_TYPE, body: chunks(body, 11) });
  assert.deepEqual(pick(rec), [1005, 20, 1025, 1000, 0, undefined, 'stream']);
});

test('Gemini: cachedContentTokenCount is part of the prompt, thoughtsTokenCount is added to output', async () => {
  const usageMetadata = { promptTokenCount: 80, candidatesTokenCount: 10, thoughtsTokenCount: 30, cachedContentTokenCount: 60, totalTokenCount: 120 };
  const plain = await one({ headers: JSON_TYPE, body: JSON.stringify({ candidates: [], usageMetadata, modelVersion: 'gemini-2.5-pro' }) });
  assert.deepEqual(pick(plain), [80, 40, 120, 60, undefined, 30, 'normal']);
  const body = sse([{ candidates: [], usageMetadata: { promptTokenCount: 80, candidatesTokenCount: 2, totalTokenCount: 82 }, modelVersion: 'gemini-2.5-pro' }, { candidates: [], usageMetadata, modelVersion: 'gemini-2.5-pro' }]);
  const rec = await one({ headers: SSE_TYPE, body: chunks(body, 5) });
  assert.deepEqual(pick(rec), [80, 40, 120, 60, undefined, 30, 'stream']);
});

test('ai_log as ai-statistics writes it (numbers as strings, escaped, double-encoded) wins over the response', async () => {
  const ai = {
    model: 'qwen-max', input_token: '100', output_token: '50', llm_first_token_duration: '230', llm_service_duration: '1590',
    response_type: 'stream', session_id: 'sess-42', input_token_details: { cached_tokens: '30' }, output_token_details: '{"reasoning_tokens":"12"}',
  };
  const response = { headers: JSON_TYPE, body: JSON.stringify({ model: 'x', usage: { prompt_tokens: 1, completion_tokens: 1, prompt_tokens_details: { cached_tokens: 1 } } }) };
  for (const stored of [JSON.stringify(ai), JSON.stringify(JSON.stringify(ai)), JSON.stringify(ai).replaceAll('"', '\\"')]) {
    const rec = await one(response, { 'wasm.ai_log': stored });
    assert.deepEqual(pick(rec), [100, 50, 150, 30, undefined, 12, 'stream']);
    assert.deepEqual([rec.llm_first_token_duration, rec.llm_service_duration, rec.session_id], [230, 1590, 'sess-42']);
  }
  const anthropic = await one(response, { 'wasm.ai_log': JSON.stringify({ model: 'claude-3-7-sonnet', input_token: 10, output_token: 5, cache_read_input_tokens: '200', cache_creation_input_tokens: 40 }) });
  assert.deepEqual(pick(anthropic), [250, 5, 255, 200, 40, undefined, 'normal'], 'Anthropic cache counts from ai_log are added to input');
});

test('first-token and service time on the manual clock: first response body chunk of a stream, end of the response; none for a non-LLM answer', async () => {
  const h = await harness();
  try {
    const req = chatRequest();
    const stream = h.host.openStream({ requestHeaders: req.headers }, {});
    stream.startRequest(false);
    stream.requestData(Buffer.from(req.body), true);
    h.host.advance(120);
    stream.startResponse(new HeaderMap(SSE_TYPE), false);
    h.host.advance(180);
    stream.responseData(Buffer.from(sse([{ model: 'gpt-4o', choices: [{ delta: { content: 'Hi' } }] }])), false);
    h.host.advance(700);
    stream.responseData(Buffer.from(sse([{ model: 'gpt-4o', choices: [], usage: { prompt_tokens: 3, completion_tokens: 9 } }, '[DONE]'])), true);
    await h.host.idle();
    const normal = h.host.openStream({ requestHeaders: req.headers }, {});
    normal.startRequest(false);
    normal.requestData(Buffer.from(req.body), true);
    h.host.advance(400);
    normal.startResponse(new HeaderMap(JSON_TYPE), false);
    normal.responseData(Buffer.from('{"model":"gpt-4o","usage":{"prompt_tokens":3,"completion_tokens":9}}'), true);
    await h.host.idle();
    await h.host.runStream({ request: req, response: { headers: JSON_TYPE, body: '{"status":"ok"}' } });
    await h.host.idle();
    const recs = h.records();
    assert.equal(recs.length, 3);
    assert.deepEqual([recs[0].response_type, recs[0].llm_first_token_duration, recs[0].llm_service_duration], ['stream', 300, 1000]);
    assert.deepEqual([recs[1].response_type, recs[1].llm_first_token_duration, recs[1].llm_service_duration], ['normal', undefined, 400]);
    assert.deepEqual([recs[2].response_type, recs[2].llm_service_duration, recs[2].session_id], [undefined, undefined, undefined], 'not an LLM answer: no AI timing');
  } finally {
    await h.host.close();
  }
});
