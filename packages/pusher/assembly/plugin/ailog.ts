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
}

function num(v: JsonValue | null): i64 {
  if (v === null) return -1;
  if (v.kind == JsonKind.Number && v.num >= 0) return <i64>v.num;
  if (v.kind == JsonKind.String && v.str.length > 0 && v.str.length < 19) {
    const n = parseFloat(v.str);
    if (!isNaN(n) && n >= 0) return <i64>n;
  }
  return -1;
}

function str(v: JsonValue | null): string {
  if (v === null || v.kind != JsonKind.String) return "";
  return v.str;
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
  return out;
}

export function readAiLog(): AiLog | null {
  const b = getPropertyAt(P_AI_LOG);
  if (b === null || b.byteLength == 0 || b.byteLength > MAX_AI_LOG_BYTES) return null;
  return parseAiLog(decodeUtf8Buffer(b));
}
