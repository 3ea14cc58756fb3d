#!/usr/bin/env node
// mock-llm: a mock OpenAI / Anthropic / Gemini upstream (plain JSON and SSE) with an MCP endpoint.
import { parseArgs } from 'node:util';
import { startMockLlm } from './server.js';

const HELP = `Usage: mock-llm [options]

A mock LLM upstream for tests and demos. Answers:
  POST /v1/chat/completions            OpenAI chat completions (stream: true for SSE;
                                       stream_options.include_usage adds a usage chunk)
  POST /v1/responses                   OpenAI Responses API (usage in response.completed)
  POST /v1/messages                    Anthropic messages (SSE: message_start/message_delta)
  POST /v1beta/models/{m}:generateContent        Gemini
  POST /v1beta/models/{m}:streamGenerateContent  Gemini stream (?alt=sse for SSE)
  POST /mcp                            JSON-RPC MCP (initialize, tools/list, tools/call)
  GET  /health                         200 ok
Token counts: input = words of the request's text (min 1), output = max_tokens or 8.
Errors: header x-mock-status: 429|500|... or model "error-429"; latency: x-mock-latency-ms.

Options (environment variable in brackets):
  --host <addr>          interface to listen on [MOCK_LLM_HOST] (default 127.0.0.1)
  --port <n>             port, 0 for a free one [MOCK_LLM_PORT] (default 8090)
  --latency-ms <n>       delay before every answer [MOCK_LLM_LATENCY_MS] (default 0)
  --chunk-delay-ms <n>   delay between SSE events [MOCK_LLM_CHUNK_DELAY_MS] (default 0)
  -h, --help             show this help
`;

function int(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`mock-llm: ${name} must be a non-negative integer, got "${value}"`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        'latency-ms': { type: 'string' },
        'chunk-delay-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`mock-llm: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = process.env;
  const server = await startMockLlm({
    host: values.host ?? env.MOCK_LLM_HOST ?? '127.0.0.1',
    port: int('--port', values.port ?? env.MOCK_LLM_PORT, 8090),
    latencyMs: int('--latency-ms', values['latency-ms'] ?? env.MOCK_LLM_LATENCY_MS, 0),
    chunkDelayMs: int('--chunk-delay-ms', values['chunk-delay-ms'] ?? env.MOCK_LLM_CHUNK_DELAY_MS, 0),
  });
  console.log(JSON.stringify({ level: 'info', msg: 'mock-llm listening', url: server.url }));
  const stop = (signal: string): void => {
    console.log(JSON.stringify({ level: 'info', msg: 'mock-llm stopping', signal }));
    server.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(`mock-llm: ${(err as Error).message}`);
  process.exit(1);
});
