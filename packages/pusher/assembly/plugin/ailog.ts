// ai-statistics leaves its `ai_log` in filter state (Envoy key `wasm.ai_log`, read back through
// the property path `ai_log`). It is a JSON object, sometimes double-encoded as a JSON string
// or with escaped quotes; this unwraps it and picks the values the record promotes.
import { decodeUtf8Buffer } from "../abi/utf8";
import { getPropertyAt, propertyPath } from "../abi/api";
import { JsonValue, JsonKind, parseJson } from "./json";

const MAX_AI_LOG_BYTES: i32 = 65536;
const P_AI_LOG = propertyPath(["ai_log"]);

export class AiLog {
  text: string = "";
  model: string = "";
  api: string = "";
  input: i64 = -1;
  output: i64 = -1;
  total: i64 = -1;
  // The usage details under the keys ai-statistics writes (as the collector reads them too).
  cached: i64 = -1;
  cacheWrite: i64 = -1;
  reasoning: i64 = -1;
  firstToken: i64 = -1;
  service: i64 = -1;
  responseType: string = "";
  sessionId: string = "";
}

function num(v: JsonValue | null): i64 {
  if (v === null) return -1;
  if (v.kind == JsonKind.Number && v.num >= 0 && v.num < 9.0e15) return <i64>Math.round(v.num);
  if (v.kind == JsonKind.String && v.str.length > 0 && v.str.length < 19) {
    const n = parseFloat(v.str);
    if (!isNaN(n) && n >= 0) return <i64>Math.round(n);
  }
  return -1;
}

function str(v: JsonValue | null): string {
  if (v === null || v.kind != JsonKind.String) return "";
  return v.str;
}

/** A member that is an object, or a string holding one (ai-statistics may encode nested values). */
function obj(v: JsonValue | null): JsonValue | null {
  if (v !== null && v.kind == JsonKind.String && v.str.trimStart().startsWith("{")) v = parseJson(v.str);
  return v !== null && v.kind == JsonKind.Object ? v : null;
}

function nested(o: JsonValue, outer: string, inner: string): i64 {
  const x = obj(o.get(outer));
  return x === null ? -1 : num(x.get(inner));
}

function firstNum(o: JsonValue, a: string, b: string): i64 {
  const x = num(o.get(a));
  return x >= 0 ? x : num(o.get(b));
}

/** Parses ai_log text; null when it is not (a JSON encoding of) a JSON object. */
export function parseAiLog(raw: string): AiLog | null {
  let text = raw.trim();
  if (text.length == 0) return null;
  let v = parseJson(text);
  if (v !== null && v.kind == JsonKind.String) {
    text = v.str.trim();
    v = parseJson(text);
  }
  if (v === null && text.includes("\\\"")) {
    text = text.replaceAll("\\\"", "\"").replaceAll("\\\\", "\\");
    v = parseJson(text);
  }
  if (v === null || v.kind != JsonKind.Object) return null;
  const out = new AiLog();
  out.text = text;
  out.model = str(v.get("model"));
  out.api = str(v.get("api"));
  out.input = firstNum(v, "input_token", "input_tokens");
  out.output = firstNum(v, "output_token", "output_tokens");
  out.total = firstNum(v, "total_token", "total_tokens");
  // Anthropic's cache reads and writes are counted apart from its input: added to input_tokens.
  let anthropic: i64 = 0;
  out.cached = nested(v, "input_token_details", "cached_tokens");
  if (out.cached < 0) {
    out.cached = num(v.get("cache_read_input_tokens"));
    if (out.cached > 0) anthropic += out.cached;
  }
  out.cacheWrite = num(v.get("cache_creation_input_tokens"));
  if (out.cacheWrite > 0) anthropic += out.cacheWrite;
  if (anthropic > 0 && out.input >= 0) out.input += anthropic;
  out.reasoning = nested(v, "output_token_details", "reasoning_tokens");
  out.firstToken = num(v.get("llm_first_token_duration"));
  out.service = num(v.get("llm_service_duration"));
  out.responseType = str(v.get("response_type")).trim().toLowerCase();
  out.sessionId = str(v.get("session_id")).trim();
  return out;
}

export function readAiLog(): AiLog | null {
  const b = getPropertyAt(P_AI_LOG);
  if (b === null || b.byteLength == 0 || b.byteLength > MAX_AI_LOG_BYTES) return null;
  return parseAiLog(decodeUtf8Buffer(b));
}
