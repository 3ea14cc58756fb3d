// Streaming, constant-memory scanning of request and response bodies for the few values the
// record needs: the model, token usage (OpenAI chat completions and Responses API, Anthropic
// messages, Gemini) and JSON-RPC `tools/call` names. Bodies are fed chunk by chunk; nothing but
// a small key stack and one short string is kept, however long the body or SSE stream.
//
// The scanner runs over every body byte, so it allocates nothing per byte or per key: object
// keys are kept as small ids (only the few names the sinks ask about are told apart), strings
// are copied only when a sink wants their value (decided when the string opens), and numbers
// are handed over as bytes.
import { decodeUtf8 } from "../abi/utf8";

const MAX_DEPTH: i32 = 16;
const MAX_STRING: i32 = 256;
const MAX_SCALAR: i32 = 32;

// Ids of the object keys the sinks look at; every other key is KEY_OTHER.
export const KEY_OTHER: i32 = 0;
export const KEY_MODEL: i32 = 1;
export const KEY_MODEL_VERSION: i32 = 2;
export const KEY_MESSAGE: i32 = 3;
export const KEY_RESPONSE: i32 = 4;
export const KEY_USAGE: i32 = 5;
export const KEY_USAGE_METADATA: i32 = 6;
export const KEY_PROMPT_TOKENS: i32 = 7;
export const KEY_INPUT_TOKENS: i32 = 8;
export const KEY_PROMPT_TOKEN_COUNT: i32 = 9;
export const KEY_COMPLETION_TOKENS: i32 = 10;
export const KEY_OUTPUT_TOKENS: i32 = 11;
export const KEY_CANDIDATES_TOKEN_COUNT: i32 = 12;
export const KEY_TOTAL_TOKENS: i32 = 13;
export const KEY_TOTAL_TOKEN_COUNT: i32 = 14;
export const KEY_METHOD: i32 = 15;
export const KEY_PARAMS: i32 = 16;
export const KEY_NAME: i32 = 17;
// Usage details: cache and reasoning counts (OpenAI's *_details objects, Anthropic, Gemini).
export const KEY_PROMPT_TOKENS_DETAILS: i32 = 18;
export const KEY_INPUT_TOKENS_DETAILS: i32 = 19;
export const KEY_COMPLETION_TOKENS_DETAILS: i32 = 20;
export const KEY_OUTPUT_TOKENS_DETAILS: i32 = 21;
export const KEY_CACHED_TOKENS: i32 = 22;
export const KEY_REASONING_TOKENS: i32 = 23;
export const KEY_CACHE_READ_INPUT_TOKENS: i32 = 24;
export const KEY_CACHE_CREATION_INPUT_TOKENS: i32 = 25;
export const KEY_CACHED_CONTENT_TOKEN_COUNT: i32 = 26;
export const KEY_THOUGHTS_TOKEN_COUNT: i32 = 27;

// Known keys by byte length, so an unknown key costs a length test and at most four compares
// (each a first-byte test, mostly).
const KEY_NAMES: StaticArray<string> = [
  "", "model", "modelVersion", "message", "response", "usage", "usageMetadata", "prompt_tokens",
  "input_tokens", "promptTokenCount", "completion_tokens", "output_tokens", "candidatesTokenCount",
  "total_tokens", "totalTokenCount", "method", "params", "name",
  "prompt_tokens_details", "input_tokens_details", "completion_tokens_details", "output_tokens_details",
  "cached_tokens", "reasoning_tokens", "cache_read_input_tokens", "cache_creation_input_tokens",
  "cachedContentTokenCount", "thoughtsTokenCount",
];
const KEY_COUNT: i32 = 28;
const MAX_KEY_BYTES: i32 = 27; // longest known key ("cache_creation_input_tokens")
const SLOTS: i32 = 4; // most keys of one length (13: usageMetadata, prompt_tokens, output_tokens, cached_tokens)
const KEY_BYTES: StaticArray<ArrayBuffer> = new StaticArray<ArrayBuffer>(KEY_COUNT);
// Per length, up to SLOTS candidate ids (0: none).
const BY_LEN: StaticArray<i32> = new StaticArray<i32>((MAX_KEY_BYTES + 1) * SLOTS);
for (let i = 1; i < KEY_COUNT; i++) {
  const b = String.UTF8.encode(KEY_NAMES[i]);
  KEY_BYTES[i] = b;
  let at = b.byteLength * SLOTS;
  while (BY_LEN[at] != 0) at++;
  BY_LEN[at] = i;
}

@inline function keyIs(id: i32, ptr: usize, len: i32): bool {
  const k = unchecked(KEY_BYTES[id]);
  return load<u8>(changetype<usize>(k)) == load<u8>(ptr) && memory.compare(changetype<usize>(k), ptr, <usize>len) == 0;
}

/** Id of the key whose (unescaped) bytes are at ptr..ptr+len. */
function keyIdOf(ptr: usize, len: i32): i32 {
  if (len < 4 || len > MAX_KEY_BYTES) return KEY_OTHER;
  const at = len * SLOTS;
  for (let i = 0; i < SLOTS; i++) {
    const id = unchecked(BY_LEN[at + i]);
    if (id == 0) return KEY_OTHER;
    if (keyIs(id, ptr, len)) return id;
  }
  return KEY_OTHER;
}

/** Receives the scalar values the scanner completes. `path` helpers live on the scanner. */
export class ScanSink {
  /** Whether the string value now opening is wanted (only wanted strings are kept and decoded). */
  wantsString(sc: JsonScanner): bool { return false; }
  /** A wanted string completed: its UTF-8 (escapes resolved, at most MAX_STRING bytes) is at ptr..ptr+len. */
  onString(sc: JsonScanner, ptr: usize, len: i32): void {}
  /** A number completed: its text is at ptr..ptr+len (at most MAX_SCALAR bytes). */
  onNumber(sc: JsonScanner, ptr: usize, len: i32): void {}
}

const ONE_BYTE: usize = memory.data(1);

// What each byte is outside strings: one table load instead of a chain of compares.
const C_SCALAR: u8 = 0; // part of a number, true, false or null
const C_SPACE: u8 = 1;
const C_QUOTE: u8 = 2;
const C_OPEN_OBJECT: u8 = 3;
const C_OPEN_ARRAY: u8 = 4;
const C_CLOSE: u8 = 5;
const C_COLON: u8 = 6;
const C_COMMA: u8 = 7;
const BYTE_CLASS: usize = memory.data(256);
store<u8>(BYTE_CLASS + 0x20, C_SPACE);
store<u8>(BYTE_CLASS + 0x0a, C_SPACE);
store<u8>(BYTE_CLASS + 0x0d, C_SPACE);
store<u8>(BYTE_CLASS + 0x09, C_SPACE);
store<u8>(BYTE_CLASS + 0x22, C_QUOTE);
store<u8>(BYTE_CLASS + 0x7b, C_OPEN_OBJECT);
store<u8>(BYTE_CLASS + 0x5b, C_OPEN_ARRAY);
store<u8>(BYTE_CLASS + 0x7d, C_CLOSE);
store<u8>(BYTE_CLASS + 0x5d, C_CLOSE);
store<u8>(BYTE_CLASS + 0x3a, C_COLON);
store<u8>(BYTE_CLASS + 0x2c, C_COMMA);

export class JsonScanner {
  depth: i32 = 0;
  private isObject: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  private keys: StaticArray<i32> = new StaticArray<i32>(MAX_DEPTH + 1);
  private expectKey: bool = false;
  private inString: bool = false;
  private escape: bool = false;
  private unicodeLeft: i32 = 0;
  // What the open string is: 0 skipped, 1 an object key, 2 a value a sink wants.
  private capture: i32 = 0;
  private strBuf: StaticArray<u8> = new StaticArray<u8>(MAX_STRING);
  private strLen: i32 = 0;
  private scalarBuf: StaticArray<u8> = new StaticArray<u8>(MAX_SCALAR);
  private scalarLen: i32 = 0;
  private inScalar: bool = false;

  constructor(public sink: ScanSink) {}

  reset(): void {
    this.depth = 0;
    this.expectKey = false;
    this.inString = false;
    this.escape = false;
    this.unicodeLeft = 0;
    this.capture = 0;
    this.strLen = 0;
    this.scalarLen = 0;
    this.inScalar = false;
  }

  /** Id of the key of the member being read at `level` (1 = top-level object), KEY_OTHER inside arrays. */
  keyAt(level: i32): i32 {
    if (level < 1 || level > this.depth || level > MAX_DEPTH) return KEY_OTHER;
    return unchecked(this.keys[level]);
  }

  /** Id of the key of the value that is completing. */
  key(): i32 { return this.keyAt(this.depth); }

  /** Id of the key that holds the object containing the value that is completing. */
  parentKey(): i32 { return this.keyAt(this.depth - 1); }

  byte(b: u8): void {
    store<u8>(ONE_BYTE, b);
    this.feed(ONE_BYTE, 1);
  }

  feed(ptr: usize, len: i32): void {
    // The state lives in locals while the chunk is scanned (field accesses in a loop are much
    // slower than locals) and is stored back before any sink call and at the end.
    let inString = this.inString;
    let escape = this.escape;
    let unicodeLeft = this.unicodeLeft;
    let capture = this.capture;
    let strLen = this.strLen;
    let inScalar = this.inScalar;
    let scalarLen = this.scalarLen;
    let depth = this.depth;
    let expectKey = this.expectKey;
    const strBuf = changetype<usize>(this.strBuf);
    const scalarBuf = changetype<usize>(this.scalarBuf);
    const isObject = changetype<usize>(this.isObject);
    const keys = changetype<usize>(this.keys);
    let p = ptr;
    const end = ptr + <usize>len;
    while (p < end) {
      if (inString) {
        if (unicodeLeft > 0) { unicodeLeft--; p++; continue; }
        if (escape) {
          escape = false;
          let b = load<u8>(p);
          p++;
          if (b == 0x75) { unicodeLeft = 4; b = 0x3f; } // \uXXXX kept as '?'
          else if (b == 0x6e) b = 0x0a;
          else if (b == 0x74) b = 0x09;
          if (capture != 0 && strLen < MAX_STRING) {
            store<u8>(strBuf + <usize>strLen, b);
            strLen++;
          }
          continue;
        }
        // String contents up to the closing quote or an escape: most of an LLM answer is text.
        let q = p;
        while (q < end) {
          const c = load<u8>(q);
          if (c == 0x22 || c == 0x5c) break;
          q++;
        }
        if (capture != 0) {
          const room = MAX_STRING - strLen;
          const n = <i32>(q - p) < room ? <i32>(q - p) : room;
          if (n > 0) {
            // Keys and wanted values are short: a byte loop beats a bulk copy call.
            const dst = strBuf + <usize>strLen;
            for (let i = 0; i < n; i++) store<u8>(dst + <usize>i, load<u8>(p + <usize>i));
            strLen += n;
          }
        }
        p = q;
        if (p >= end) break;
        const c = load<u8>(p);
        p++;
        if (c == 0x5c) { escape = true; continue; }
        inString = false;
        if (capture == 1) {
          store<i32>(keys + (<usize>depth << 2), keyIdOf(strBuf, strLen));
        } else if (capture == 2) {
          this.sink.onString(this, strBuf, strLen);
        }
        continue;
      }
      const b = load<u8>(p);
      p++;
      const cls = load<u8>(BYTE_CLASS + <usize>b);
      if (cls == C_SCALAR) {
        inScalar = true;
        if (scalarLen < MAX_SCALAR) {
          store<u8>(scalarBuf + <usize>scalarLen, b);
          scalarLen++;
        }
        continue;
      }
      if (inScalar) { inScalar = false; this.endScalar(scalarLen); scalarLen = 0; }
      switch (cls) {
        case C_QUOTE: {
          inString = true;
          strLen = 0;
          // What the string is: an object key (1), a value a sink wants (2), or neither (0).
          capture = 0;
          if (depth >= 1 && depth <= MAX_DEPTH) {
            if (load<bool>(isObject + <usize>depth) && expectKey) capture = 1;
            else if (this.sink.wantsString(this)) capture = 2;
          }
          break;
        }
        case C_OPEN_OBJECT:
        case C_OPEN_ARRAY: {
          const obj = cls == C_OPEN_OBJECT;
          depth++;
          this.depth = depth;
          if (depth <= MAX_DEPTH) {
            store<bool>(isObject + <usize>depth, obj);
            store<i32>(keys + (<usize>depth << 2), KEY_OTHER);
          }
          expectKey = obj;
          break;
        }
        case C_CLOSE: {
          if (depth > 0) { depth--; this.depth = depth; }
          expectKey = false;
          break;
        }
        case C_COLON: {
          expectKey = false;
          break;
        }
        case C_COMMA: {
          expectKey = depth > 0 && depth <= MAX_DEPTH && load<bool>(isObject + <usize>depth);
          break;
        }
        default: break; // white space
      }
    }
    this.inString = inString;
    this.escape = escape;
    this.unicodeLeft = unicodeLeft;
    this.capture = capture;
    this.strLen = strLen;
    this.inScalar = inScalar;
    this.scalarLen = scalarLen;
    this.depth = depth;
    this.expectKey = expectKey;
  }

  /** A number, true, false or null of `n` bytes (in scalarBuf) completed. */
  private endScalar(n: i32): void {
    const d = this.depth;
    if (d < 1 || d > MAX_DEPTH) return;
    const first = unchecked(this.scalarBuf[0]);
    if (!((first >= 0x30 && first <= 0x39) || first == 0x2d)) return; // true/false/null
    this.sink.onNumber(this, changetype<usize>(this.scalarBuf), n);
  }
}

/** Splits a text/event-stream into lines and streams each `data:` payload into a JsonScanner. */
export class SseScanner {
  private mode: i32 = 0; // 0: reading the field name, 1: data payload, 2: other line
  private prefix: i32 = 0;

  constructor(public json: JsonScanner) {}

  feed(ptr: usize, len: i32): void {
    let mode = this.mode;
    let prefix = this.prefix;
    const json = this.json;
    const end = ptr + <usize>len;
    let p = ptr;
    while (p < end) {
      const b = load<u8>(p);
      if (b == 0x0a || b == 0x0d) {
        if (mode == 1) json.byte(0x0a);
        else if (mode == 0 && prefix == 0) json.reset(); // blank line: event ends
        mode = 0;
        prefix = 0;
        p++;
        continue;
      }
      if (mode != 0) {
        // The rest of the line: a data payload goes to the JSON scanner in one piece.
        let q = p + 1;
        while (q < end) {
          const c = load<u8>(q);
          if (c == 0x0a || c == 0x0d) break;
          q++;
        }
        if (mode == 1) json.feed(p, <i32>(q - p));
        p = q;
        continue;
      }
      // mode 0: match "data:"
      const want: u8 = prefix == 0 ? 0x64 : prefix == 1 ? 0x61 : prefix == 2 ? 0x74 : prefix == 3 ? 0x61 : 0x3a;
      if (b == want) {
        prefix++;
        if (prefix == 5) {
          mode = 1;
          if (json.depth == 0) json.reset();
        }
      } else {
        mode = 2;
      }
      p++;
    }
    this.mode = mode;
    this.prefix = prefix;
  }
}

/** A non-negative integer from a number's text (the integer part of 12.5 or 1e3), else -1. */
function parseI64(ptr: usize, len: i32): i64 {
  let v: i64 = 0;
  let any = false;
  for (let i = 0; i < len; i++) {
    const c = <i32>load<u8>(ptr + <usize>i);
    if (c == 0x2e || c == 0x65 || c == 0x45) break;
    if (c < 0x30 || c > 0x39) { if (i == 0 && c == 0x2d) continue; return -1; }
    v = v * 10 + <i64>(c - 0x30);
    any = true;
    if (v > 1_000_000_000_000_000) return -1;
  }
  return any && load<u8>(ptr) != 0x2d ? v : -1;
}

/**
 * Token usage and model found in a response body (JSON or SSE). -1 means not seen. The counts
 * are as the provider reports them; inputTokens() and outputTokens() apply the record's
 * convention (input includes cache reads and writes, output includes reasoning and thoughts).
 */
export class ResponseScan extends ScanSink {
  input: i64 = -1;
  output: i64 = -1;
  total: i64 = -1;
  /** Cache reads that are part of `input` (OpenAI `*_details.cached_tokens`, Gemini `cachedContentTokenCount`). */
  cached: i64 = -1;
  /** Anthropic's cache reads and writes, counted apart from its `input_tokens`. */
  cacheRead: i64 = -1;
  cacheWrite: i64 = -1;
  /** Reasoning tokens that are part of `output` (OpenAI). */
  reasoning: i64 = -1;
  /** Gemini's thought tokens, counted apart from `candidatesTokenCount`. */
  thoughts: i64 = -1;
  // The last non-empty model seen, as bytes: an SSE stream repeats it in every event.
  private modelBuf: StaticArray<u8> = new StaticArray<u8>(MAX_STRING);
  private modelLen: i32 = 0;

  /** The model the response named, "" when none. */
  get model(): string {
    return decodeUtf8(changetype<usize>(this.modelBuf), <usize>this.modelLen);
  }

  wantsString(sc: JsonScanner): bool {
    const k = sc.key();
    const d = sc.depth;
    if (k == KEY_MODEL) return d == 1 || (d == 2 && (sc.keyAt(1) == KEY_MESSAGE || sc.keyAt(1) == KEY_RESPONSE));
    return k == KEY_MODEL_VERSION && d == 1;
  }

  onString(sc: JsonScanner, ptr: usize, len: i32): void {
    if (len > 0) {
      memory.copy(changetype<usize>(this.modelBuf), ptr, <usize>len);
      this.modelLen = len;
    }
  }

  onNumber(sc: JsonScanner, ptr: usize, len: i32): void {
    if (sc.depth < 2) return;
    const k = sc.key();
    if (k == KEY_OTHER) return;
    const p = sc.parentKey();
    if (p == KEY_USAGE || p == KEY_USAGE_METADATA) {
      const v = parseI64(ptr, len);
      if (v < 0) return;
      if (k == KEY_PROMPT_TOKENS || k == KEY_INPUT_TOKENS || k == KEY_PROMPT_TOKEN_COUNT) this.input = v;
      else if (k == KEY_COMPLETION_TOKENS || k == KEY_OUTPUT_TOKENS || k == KEY_CANDIDATES_TOKEN_COUNT) this.output = v;
      else if (k == KEY_TOTAL_TOKENS || k == KEY_TOTAL_TOKEN_COUNT) this.total = v;
      else if (k == KEY_CACHED_CONTENT_TOKEN_COUNT) this.cached = v;
      else if (k == KEY_THOUGHTS_TOKEN_COUNT) this.thoughts = v;
      else if (k == KEY_CACHE_READ_INPUT_TOKENS) this.cacheRead = v;
      else if (k == KEY_CACHE_CREATION_INPUT_TOKENS) this.cacheWrite = v;
      return;
    }
    // usage.prompt_tokens_details.cached_tokens and the like, one level further down.
    if (k != KEY_CACHED_TOKENS && k != KEY_REASONING_TOKENS) return;
    if (sc.depth < 3) return;
    const u = sc.keyAt(sc.depth - 2);
    if (u != KEY_USAGE) return;
    const v = parseI64(ptr, len);
    if (v < 0) return;
    if (k == KEY_CACHED_TOKENS && (p == KEY_PROMPT_TOKENS_DETAILS || p == KEY_INPUT_TOKENS_DETAILS)) this.cached = v;
    else if (k == KEY_REASONING_TOKENS && (p == KEY_COMPLETION_TOKENS_DETAILS || p == KEY_OUTPUT_TOKENS_DETAILS)) this.reasoning = v;
  }

  /** Whether any token count was seen. */
  hasTokens(): bool { return this.input >= 0 || this.output >= 0 || this.total >= 0; }

  /** Input including Anthropic's separately counted cache reads and writes. */
  inputTokens(): i64 {
    if (this.input < 0) return -1;
    return this.input + (this.cacheRead < 0 ? 0 : this.cacheRead) + (this.cacheWrite < 0 ? 0 : this.cacheWrite);
  }

  /** Output including Gemini's separately counted thought tokens. */
  outputTokens(): i64 {
    if (this.output < 0) return this.thoughts;
    return this.output + (this.thoughts < 0 ? 0 : this.thoughts);
  }

  /** Cache reads, whichever provider's key named them. */
  cachedTokens(): i64 { return this.cached >= 0 ? this.cached : this.cacheRead; }

  reasoningTokens(): i64 { return this.reasoning >= 0 ? this.reasoning : this.thoughts; }

  /** Total as reported, else input + output when either is known. */
  totalTokens(): i64 {
    if (this.total >= 0) return this.total;
    const i = this.inputTokens();
    const o = this.outputTokens();
    if (i < 0 && o < 0) return -1;
    return (i < 0 ? 0 : i) + (o < 0 ? 0 : o);
  }
}

/** The model of an AI request and the tool of a JSON-RPC `tools/call`, from a request body. */
export class RequestScan extends ScanSink {
  model: string = "";
  rpcMethod: string = "";
  toolName: string = "";

  wantsString(sc: JsonScanner): bool {
    const k = sc.key();
    if (sc.depth == 1) return k == KEY_MODEL || k == KEY_METHOD;
    return sc.depth == 2 && k == KEY_NAME && sc.keyAt(1) == KEY_PARAMS;
  }

  onString(sc: JsonScanner, ptr: usize, len: i32): void {
    const value = decodeUtf8(ptr, <usize>len);
    if (sc.depth == 1) {
      if (sc.key() == KEY_MODEL) this.model = value;
      else this.rpcMethod = value;
    } else {
      this.toolName = value;
    }
  }

  /** The called tool's name when the body was a JSON-RPC tools/call. */
  tool(): string {
    return this.rpcMethod == "tools/call" ? this.toolName : "";
  }
}
