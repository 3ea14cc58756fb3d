import { FIELDS, type FieldName } from '@db-log-pusher/schema';

/** A normalised row (normalize.ts's Row, restated here so the two files do not import each other). */
type Row = (string | number | null)[];

/**
 * The AI usage fields a record may leave out (the seed's reference plugin sends only `ai_log`),
 * derived from the `ai_log` that Higress's ai-statistics writes. Its keys:
 *
 * | field | ai_log key |
 * | --- | --- |
 * | cached_tokens | `input_token_details.cached_tokens` (OpenAI), else `cache_read_input_tokens` (Anthropic) |
 * | cache_write_tokens | `cache_creation_input_tokens` (Anthropic) |
 * | reasoning_tokens | `output_token_details.reasoning_tokens` |
 * | llm_first_token_duration, llm_service_duration, response_type, session_id | the same names |
 *
 * Numbers may come as JSON numbers or as strings holding them, nested objects as objects or as
 * strings holding JSON. A value that is neither is ignored: ai_log is another filter's output,
 * and a record is never refused for what it says.
 *
 * Convention: `input_tokens` includes cached reads and cache writes (OpenAI's way). Anthropic
 * counts them apart from its `input_tokens`, so amounts taken from the Anthropic keys are added
 * to `input_tokens`. Reasoning tokens are part of `output_tokens` (as OpenAI and Gemini count them).
 */

const at = (name: FieldName): number => FIELDS.findIndex((f) => f.name === name);
const I = {
  input: at('input_tokens'),
  cached: at('cached_tokens'),
  cacheWrite: at('cache_write_tokens'),
  reasoning: at('reasoning_tokens'),
  firstToken: at('llm_first_token_duration'),
  service: at('llm_service_duration'),
  responseType: at('response_type'),
  session: at('session_id'),
};
const SESSION_MAX = 255;
const RESPONSE_TYPE_MAX = 16;

/** A count or a millisecond duration: a non-negative number, or a string holding one; rounded. */
export function count(v: unknown): number | undefined {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v)) n = Number(v);
  else return undefined;
  if (!Number.isFinite(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) return undefined;
  return Math.round(n);
}

/** An object, or a string holding a JSON object (ai-statistics may encode nested values). */
function object(v: unknown): Record<string, unknown> | undefined {
  if (typeof v === 'string' && v.length > 1 && v.trimStart().startsWith('{')) {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function text(v: unknown, max: number): string | undefined {
  const s = typeof v === 'string' ? v.trim() : typeof v === 'number' && Number.isFinite(v) ? String(v) : '';
  return s === '' ? undefined : s.slice(0, max);
}

/** Fills the AI usage fields `row` lacks from `ai` (the parsed ai_log), in place. */
export function deriveAiFields(row: Row, ai: Record<string, unknown>): void {
  let anthropicInput = 0;
  if (row[I.cached] === null) {
    const openai = count(object(ai.input_token_details)?.cached_tokens);
    const anthropic = openai === undefined ? count(ai.cache_read_input_tokens) : undefined;
    const v = openai ?? anthropic;
    if (v !== undefined) row[I.cached] = v;
    if (anthropic !== undefined) anthropicInput += anthropic;
  }
  if (row[I.cacheWrite] === null) {
    const v = count(ai.cache_creation_input_tokens);
    if (v !== undefined) {
      row[I.cacheWrite] = v;
      anthropicInput += v;
    }
  }
  if (anthropicInput > 0 && typeof row[I.input] === 'number') row[I.input] = (row[I.input] as number) + anthropicInput;
  if (row[I.reasoning] === null) {
    const v = count(object(ai.output_token_details)?.reasoning_tokens);
    if (v !== undefined) row[I.reasoning] = v;
  }
  if (row[I.firstToken] === null) {
    const v = count(ai.llm_first_token_duration);
    if (v !== undefined) row[I.firstToken] = v;
  }
  if (row[I.service] === null) {
    const v = count(ai.llm_service_duration);
    if (v !== undefined) row[I.service] = v;
  }
  if (row[I.responseType] === null) {
    const v = text(ai.response_type, RESPONSE_TYPE_MAX);
    if (v !== undefined) row[I.responseType] = v.toLowerCase();
  }
  if (row[I.session] === null) {
    const v = text(ai.session_id, SESSION_MAX);
    if (v !== undefined) row[I.session] = v;
  }
}
