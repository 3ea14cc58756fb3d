// Deterministic token counts, so tests can predict what the mock answers: one token per
// whitespace-separated word of the request's text, and a fixed-size answer unless the request
// sets a maximum.

export const DEFAULT_OUTPUT_TOKENS = 8;
export const MAX_OUTPUT_TOKENS = 256;

export interface Usage {
  input: number;
  output: number;
  total: number;
  /** Input tokens "read from the prompt cache" (part of input), when the request asks for caching. */
  cached?: number;
  /** Output tokens "spent reasoning" (part of output), when the request asks for reasoning. */
  reasoning?: number;
}

export function countWords(text: string): number {
  const t = text.trim();
  return t.length === 0 ? 0 : t.split(/\s+/).length;
}

/** All text a chat-like request carries (OpenAI, Responses, Anthropic, Gemini shapes). */
export function requestText(body: unknown): string {
  const parts: string[] = [];
  const visit = (v: unknown, key: string): void => {
    if (typeof v === 'string') {
      if (key === 'content' || key === 'text' || key === 'input' || key === 'system' || key === 'prompt' || key === 'instructions') parts.push(v);
      return;
    }
    if (Array.isArray(v)) {
      for (const x of v) visit(x, key);
      return;
    }
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'model' || k === 'role' || k === 'type') continue;
        visit(x, k);
      }
    }
  };
  visit(body, '');
  return parts.join(' ');
}

function requestedMax(body: Record<string, unknown>): number | undefined {
  const gen = body.generationConfig as Record<string, unknown> | undefined;
  const candidates = [body.max_tokens, body.max_completion_tokens, body.max_output_tokens, gen?.maxOutputTokens];
  for (const c of candidates) if (typeof c === 'number' && Number.isInteger(c) && c > 0) return Math.min(c, MAX_OUTPUT_TOKENS);
  return undefined;
}

/** The usage the mock reports for a request body. */
export function predictUsage(body: unknown): Usage {
  const obj = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  const input = Math.max(1, countWords(requestText(obj)));
  const output = requestedMax(obj) ?? DEFAULT_OUTPUT_TOKENS;
  const usage: Usage = { input, output, total: input + output };
  // Opt-in details, so that the plain answers stay as they are: half the prompt comes from the
  // cache when the request names a cache (OpenAI prompt_cache_key, Anthropic cache_control), half
  // the answer is reasoning when it asks for it (reasoning_effort, reasoning, Gemini thinkingConfig).
  const gen = obj.generationConfig as Record<string, unknown> | undefined;
  if (typeof obj.prompt_cache_key === 'string' || JSON.stringify(obj).includes('"cache_control"')) usage.cached = Math.floor(input / 2);
  if (obj.reasoning_effort !== undefined || obj.reasoning !== undefined || gen?.thinkingConfig !== undefined) usage.reasoning = Math.floor(output / 2);
  return usage;
}

/** The answer's words, `n` of them. */
export function answerWords(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`word${i}`);
  return out;
}
