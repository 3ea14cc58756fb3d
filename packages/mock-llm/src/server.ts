// The mock upstream: OpenAI chat completions and Responses API, Anthropic messages, Gemini
// generateContent/streamGenerateContent, plain JSON and SSE, a JSON-RPC MCP endpoint, error
// injection and optional latency. Built on node:http so it has no dependencies.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { answerWords, predictUsage, type Usage } from './usage.js';

export interface MockLlmOptions {
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free port). */
  port?: number;
  /** Delay before answering every request, in ms (default 0). */
  latencyMs?: number;
  /** Delay between SSE events, in ms (default 0). */
  chunkDelayMs?: number;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
}

export interface MockLlm {
  /** Base URL, e.g. http://127.0.0.1:34567 */
  url: string;
  port: number;
  /** Requests answered so far. */
  requests(): number;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > limit) throw new HttpError(413, `request body larger than ${limit} bytes`);
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...extra });
  res.end(text);
}

/** Status to inject: header `x-mock-status`, or a model named `error-<status>`. */
function injectedStatus(req: IncomingMessage, model: string | undefined): number | undefined {
  const h = req.headers['x-mock-status'];
  const fromHeader = typeof h === 'string' ? Number(h) : NaN;
  if (Number.isInteger(fromHeader) && fromHeader >= 400 && fromHeader <= 599) return fromHeader;
  const m = /^error-(\d{3})$/.exec(model ?? '');
  if (m) return Number(m[1]);
  return undefined;
}

export async function startMockLlm(options: MockLlmOptions = {}): Promise<MockLlm> {
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 0;
  const chunkDelayMs = options.chunkDelayMs ?? 0;
  const maxBody = options.maxBodyBytes ?? 1024 * 1024;
  let answered = 0;

  const sse = (res: ServerResponse): ((event: string | undefined, data: unknown) => Promise<void>) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    return async (event, data) => {
      if (chunkDelayMs > 0) await sleep(chunkDelayMs);
      const payload = typeof data === 'string' ? data : JSON.stringify(data);
      res.write((event ? `event: ${event}\n` : '') + `data: ${payload}\n\n`);
    };
  };

  async function openaiChat(req: IncomingMessage, res: ServerResponse, body: Json, usage: Usage): Promise<void> {
    const model = String(body.model ?? 'gpt-mock');
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const words = answerWords(usage.output);
    const u = {
      prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.total,
      ...(usage.cached !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cached } } : {}),
      ...(usage.reasoning !== undefined ? { completion_tokens_details: { reasoning_tokens: usage.reasoning } } : {}),
    };
    if (body.stream === true) {
      const send = sse(res);
      for (const w of words) {
        await send(undefined, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: { content: w + ' ' }, finish_reason: null }], usage: null });
      }
      await send(undefined, { id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null });
      const opts = body.stream_options as Json | undefined;
      if (opts?.include_usage === true) await send(undefined, { id, object: 'chat.completion.chunk', created, model, choices: [], usage: u });
      await send(undefined, '[DONE]');
      res.end();
      return;
    }
    sendJson(res, 200, {
      id, object: 'chat.completion', created, model,
      choices: [{ index: 0, message: { role: 'assistant', content: words.join(' ') }, finish_reason: 'stop' }],
      usage: u,
    });
  }

  async function openaiResponses(req: IncomingMessage, res: ServerResponse, body: Json, usage: Usage): Promise<void> {
    const model = String(body.model ?? 'gpt-mock');
    const id = `resp_${randomUUID().replace(/-/g, '')}`;
    const words = answerWords(usage.output);
    const text = words.join(' ');
    const u = {
      input_tokens: usage.input, output_tokens: usage.output, total_tokens: usage.total, input_tokens_details: { cached_tokens: usage.cached ?? 0 },
      ...(usage.reasoning !== undefined ? { output_tokens_details: { reasoning_tokens: usage.reasoning } } : {}),
    };
    const final = {
      id, object: 'response', status: 'completed', model,
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text }] }],
      usage: u,
    };
    if (body.stream === true) {
      const send = sse(res);
      await send('response.created', { type: 'response.created', response: { id, object: 'response', status: 'in_progress', model, usage: null } });
      for (const w of words) await send('response.output_text.delta', { type: 'response.output_text.delta', delta: w + ' ' });
      await send('response.completed', { type: 'response.completed', response: final });
      res.end();
      return;
    }
    sendJson(res, 200, final);
  }

  async function anthropic(req: IncomingMessage, res: ServerResponse, body: Json, usage: Usage): Promise<void> {
    const model = String(body.model ?? 'claude-mock');
    const id = `msg_${randomUUID().replace(/-/g, '')}`;
    const words = answerWords(usage.output);
    // Anthropic counts cache reads apart from input_tokens.
    const input = usage.cached !== undefined
      ? { input_tokens: usage.input - usage.cached, cache_read_input_tokens: usage.cached, cache_creation_input_tokens: 0 }
      : { input_tokens: usage.input };
    if (body.stream === true) {
      const send = sse(res);
      await send('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], usage: { ...input, output_tokens: 1 } } });
      await send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      for (const w of words) await send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: w + ' ' } });
      await send('content_block_stop', { type: 'content_block_stop', index: 0 });
      await send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: usage.output } });
      await send('message_stop', { type: 'message_stop' });
      res.end();
      return;
    }
    sendJson(res, 200, {
      id, type: 'message', role: 'assistant', model,
      content: [{ type: 'text', text: words.join(' ') }],
      stop_reason: 'end_turn',
      usage: { ...input, output_tokens: usage.output },
    });
  }

  async function gemini(req: IncomingMessage, res: ServerResponse, model: string, stream: boolean, sseMode: boolean, usage: Usage): Promise<void> {
    const words = answerWords(usage.output);
    const chunk = (text: string, final: boolean): Json => ({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, ...(final ? { finishReason: 'STOP' } : {}) }],
      usageMetadata: final
        ? {
          promptTokenCount: usage.input, candidatesTokenCount: usage.output - (usage.reasoning ?? 0), totalTokenCount: usage.total,
          ...(usage.cached !== undefined ? { cachedContentTokenCount: usage.cached } : {}),
          ...(usage.reasoning !== undefined ? { thoughtsTokenCount: usage.reasoning } : {}),
        }
        : { promptTokenCount: usage.input },
      modelVersion: model,
    });
    if (!stream) {
      sendJson(res, 200, chunk(words.join(' '), true));
      return;
    }
    const chunks = words.map((w, i) => chunk(w + ' ', i === words.length - 1));
    if (sseMode) {
      const send = sse(res);
      for (const c of chunks) await send(undefined, c);
      res.end();
      return;
    }
    sendJson(res, 200, chunks);
  }

  function mcp(res: ServerResponse, body: Json): void {
    const id = body.id ?? null;
    const method = body.method;
    const params = (body.params ?? {}) as Json;
    if (method === 'initialize') {
      sendJson(res, 200, { jsonrpc: '2.0', id, result: { protocolVersion: '2025-03-26', serverInfo: { name: 'mock-mcp', version: '0.1.0' }, capabilities: { tools: {} } } }, { 'mcp-session-id': randomUUID() });
      return;
    }
    if (method === 'tools/list') {
      sendJson(res, 200, { jsonrpc: '2.0', id, result: { tools: [{ name: 'echo', description: 'Echoes its text', inputSchema: { type: 'object', properties: { text: { type: 'string' } } } }] } });
      return;
    }
    if (method === 'tools/call') {
      const args = (params.arguments ?? {}) as Json;
      sendJson(res, 200, { jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: `${String(params.name)}: ${JSON.stringify(args)}` }], isError: false } });
      return;
    }
    sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: -32601, message: `method not found: ${String(method)}` } });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://mock');
    const path = url.pathname;
    const headerLatency = Number(req.headers['x-mock-latency-ms']);
    const delay = Number.isFinite(headerLatency) && headerLatency > 0 ? Math.min(headerLatency, 60_000) : latencyMs;
    if (req.method === 'GET' && (path === '/health' || path === '/')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }
    if (req.method !== 'POST') throw new HttpError(404, `no route for ${req.method} ${path}`);
    const raw = await readBody(req, maxBody);
    let body: Json = {};
    if (raw.length > 0) {
      try {
        const parsed: unknown = JSON.parse(raw.toString('utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
        body = parsed as Json;
      } catch {
        throw new HttpError(400, 'request body must be a JSON object');
      }
    }
    if (delay > 0) await sleep(delay);
    const gem = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/.exec(path);
    const model = gem ? gem[1] : typeof body.model === 'string' ? body.model : undefined;
    const status = injectedStatus(req, model);
    if (status !== undefined) {
      res.setHeader('retry-after', '1');
      throw new HttpError(status, `injected error ${status}`);
    }
    const usage = predictUsage(body);
    if (path.endsWith('/chat/completions')) return openaiChat(req, res, body, usage);
    if (path.endsWith('/responses')) return openaiResponses(req, res, body, usage);
    if (path.endsWith('/messages')) return anthropic(req, res, body, usage);
    if (gem) return gemini(req, res, gem[1], gem[2] === 'streamGenerateContent', url.searchParams.get('alt') === 'sse', usage);
    if (path === '/mcp' || path.endsWith('/mcp')) return mcp(res, body);
    throw new HttpError(404, `no route for POST ${path}`);
  }

  const server = createServer((req, res) => {
    answered++;
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendJson(res, status, { error: { type: status === 429 ? 'rate_limit_error' : 'mock_error', message } });
    });
  });
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    requests: () => answered,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
