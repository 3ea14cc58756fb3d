// Streaming, constant-memory scanning of request and response bodies for the few values the
// record needs: the model, token usage (OpenAI chat completions and Responses API, Anthropic
// messages, Gemini) and JSON-RPC `tools/call` names. Bodies are fed chunk by chunk; nothing but
// a small key stack and one short string is kept, however long the body or SSE stream.

const MAX_DEPTH: i32 = 16;
const MAX_STRING: i32 = 256;
const MAX_SCALAR: i32 = 32;

/** Receives the scalar values the scanner completes. `path` helpers live on the scanner. */
export class ScanSink {
  /** Whether the string value now completing is wanted (avoids decoding every string). */
  wantsString(sc: JsonScanner): bool { return false; }
  onString(sc: JsonScanner, value: string): void {}
  onNumber(sc: JsonScanner, text: string): void {}
}

export class JsonScanner {
  depth: i32 = 0;
  private isObject: StaticArray<bool> = new StaticArray<bool>(MAX_DEPTH + 1);
  private keys: StaticArray<string> = new StaticArray<string>(MAX_DEPTH + 1);
  private expectKey: bool = false;
  private inString: bool = false;
  private escape: bool = false;
  private unicodeLeft: i32 = 0;
  private strBuf: StaticArray<u8> = new StaticArray<u8>(MAX_STRING);
  private strLen: i32 = 0;
  private scalarBuf: StaticArray<u8> = new StaticArray<u8>(MAX_SCALAR);
  private scalarLen: i32 = 0;
  private inScalar: bool = false;

  constructor(public sink: ScanSink) {
    for (let i = 0; i <= MAX_DEPTH; i++) this.keys[i] = "";
  }

  reset(): void {
    this.depth = 0;
    this.expectKey = false;
    this.inString = false;
    this.escape = false;
    this.unicodeLeft = 0;
    this.strLen = 0;
    this.scalarLen = 0;
    this.inScalar = false;
  }

  /** Key of the member being read at `level` (1 = top-level object), "" inside arrays. */
  keyAt(level: i32): string {
    if (level < 1 || level > this.depth || level > MAX_DEPTH) return "";
    return this.keys[level];
  }

  /** Key of the value that is completing. */
  key(): string { return this.keyAt(this.depth); }

  /** Key that holds the object containing the value that is completing. */
  parentKey(): string { return this.keyAt(this.depth - 1); }

  feed(ptr: usize, len: i32): void {
    let i = 0;
    while (i < len) {
      if (this.inString && !this.escape && this.unicodeLeft == 0) {
        // Fast path through string contents: most of an LLM answer is text.
        let j = i;
        while (j < len) {
          const c = load<u8>(ptr + <usize>j);
          if (c == 0x22 || c == 0x5c) break;
          j++;
        }
        const room = MAX_STRING - this.strLen;
        const n = j - i < room ? j - i : room;
        if (n > 0) {
          memory.copy(changetype<usize>(this.strBuf) + <usize>this.strLen, ptr + <usize>i, <usize>n);
          this.strLen += n;
        }
        i = j;
        if (i >= len) break;
      }
      this.byte(load<u8>(ptr + <usize>i));
      i++;
    }
  }

  byte(b: u8): void {
    if (this.inString) {
      if (this.unicodeLeft > 0) { this.unicodeLeft--; return; }
      if (this.escape) {
        this.escape = false;
        if (b == 0x75) { this.unicodeLeft = 4; this.push(0x3f); return; } // \uXXXX kept as '?'
        if (b == 0x6e) this.push(0x0a);
        else if (b == 0x74) this.push(0x09);
        else this.push(b);
        return;
      }
      if (b == 0x5c) { this.escape = true; return; }
      if (b == 0x22) { this.inString = false; this.endString(); return; }
      this.push(b);
      return;
    }
    if (b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09) { this.endScalar(); return; }
    if (b == 0x22) {
      this.endScalar();
      this.inString = true;
      this.strLen = 0;
      return;
    }
    if (b == 0x7b || b == 0x5b) { // { [
      this.endScalar();
      this.depth++;
      if (this.depth <= MAX_DEPTH) {
        this.isObject[this.depth] = b == 0x7b;
        this.keys[this.depth] = "";
      }
      this.expectKey = b == 0x7b;
      return;
    }
    if (b == 0x7d || b == 0x5d) { // } ]
      this.endScalar();
      if (this.depth > 0) this.depth--;
      this.expectKey = false;
      return;
    }
    if (b == 0x3a) { this.endScalar(); this.expectKey = false; return; }
    if (b == 0x2c) {
      this.endScalar();
      this.expectKey = this.depth > 0 && this.depth <= MAX_DEPTH && this.isObject[this.depth];
      return;
    }
    this.inScalar = true;
    if (this.scalarLen < MAX_SCALAR) {
      this.scalarBuf[this.scalarLen] = b;
      this.scalarLen++;
    }
  }

  private push(b: u8): void {
    if (this.strLen < MAX_STRING) {
      this.strBuf[this.strLen] = b;
      this.strLen++;
    }
  }

  private endString(): void {
    if (this.depth < 1 || this.depth > MAX_DEPTH) return;
    if (this.isObject[this.depth] && this.expectKey) {
      this.keys[this.depth] = String.UTF8.decodeUnsafe(changetype<usize>(this.strBuf), <usize>this.strLen);
      return;
    }
    if (this.sink.wantsString(this)) {
      this.sink.onString(this, String.UTF8.decodeUnsafe(changetype<usize>(this.strBuf), <usize>this.strLen));
    }
  }

  private endScalar(): void {
    if (!this.inScalar) return;
    this.inScalar = false;
    const n = this.scalarLen;
    this.scalarLen = 0;
    if (this.depth < 1 || this.depth > MAX_DEPTH) return;
    const first = this.scalarBuf[0];
    if (!((first >= 0x30 && first <= 0x39) || first == 0x2d)) return; // true/false/null
    this.sink.onNumber(this, String.UTF8.decodeUnsafe(changetype<usize>(this.scalarBuf), <usize>n));
  }
}

/** Splits a text/event-stream into lines and streams each `data:` payload into a JsonScanner. */
export class SseScanner {
  private mode: i32 = 0; // 0: reading the field name, 1: data payload, 2: other line
  private prefix: i32 = 0;

  constructor(public json: JsonScanner) {}

  feed(ptr: usize, len: i32): void {
    for (let i = 0; i < len; i++) {
      const b = load<u8>(ptr + <usize>i);
      if (b == 0x0a || b == 0x0d) {
        if (this.mode == 1) this.json.byte(0x0a);
        else if (this.mode == 0 && this.prefix == 0) this.json.reset(); // blank line: event ends
        this.mode = 0;
        this.prefix = 0;
        continue;
      }
      if (this.mode == 1) {
        // Hand the rest of the data line to the JSON scanner in one piece.
        let j = i;
        while (j < len) {
          const c = load<u8>(ptr + <usize>j);
          if (c == 0x0a || c == 0x0d) break;
          j++;
        }
        this.json.feed(ptr + <usize>i, j - i);
        i = j - 1;
        continue;
      }
      if (this.mode == 2) continue;
      // mode 0: match "data:"
      const want: u8 = this.prefix == 0 ? 0x64 : this.prefix == 1 ? 0x61 : this.prefix == 2 ? 0x74 : this.prefix == 3 ? 0x61 : 0x3a;
      if (b == want) {
        this.prefix++;
        if (this.prefix == 5) {
          this.mode = 1;
          if (this.json.depth == 0) this.json.reset();
        }
      } else {
        this.mode = 2;
      }
    }
  }
}

function parseI64(text: string): i64 {
  let v: i64 = 0;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c == 0x2e || c == 0x65 || c == 0x45) break;
    if (c < 0x30 || c > 0x39) { if (i == 0 && c == 0x2d) continue; return -1; }
    v = v * 10 + <i64>(c - 0x30);
    any = true;
    if (v > 1_000_000_000_000_000) return -1;
  }
  return any && text.charCodeAt(0) != 0x2d ? v : -1;
}

/** Token usage and model found in a response body (JSON or SSE). -1 means not seen. */
export class ResponseScan extends ScanSink {
  input: i64 = -1;
  output: i64 = -1;
  total: i64 = -1;
  model: string = "";

  private usageHolder(sc: JsonScanner): bool {
    const p = sc.parentKey();
    return p == "usage" || p == "usageMetadata";
  }

  wantsString(sc: JsonScanner): bool {
    const k = sc.key();
    if (k == "model") return sc.depth == 1 || (sc.depth == 2 && (sc.keyAt(1) == "message" || sc.keyAt(1) == "response"));
    return k == "modelVersion" && sc.depth == 1;
  }

  onString(sc: JsonScanner, value: string): void {
    if (value.length > 0) this.model = value;
  }

  onNumber(sc: JsonScanner, text: string): void {
    if (sc.depth < 2 || !this.usageHolder(sc)) return;
    const k = sc.key();
    const v = parseI64(text);
    if (v < 0) return;
    if (k == "prompt_tokens" || k == "input_tokens" || k == "promptTokenCount") this.input = v;
    else if (k == "completion_tokens" || k == "output_tokens" || k == "candidatesTokenCount") this.output = v;
    else if (k == "total_tokens" || k == "totalTokenCount") this.total = v;
  }

  /** Total as reported, else input + output when either is known. */
  totalTokens(): i64 {
    if (this.total >= 0) return this.total;
    if (this.input < 0 && this.output < 0) return -1;
    return (this.input < 0 ? 0 : this.input) + (this.output < 0 ? 0 : this.output);
  }
}

/** The model of an AI request and the tool of a JSON-RPC `tools/call`, from a request body. */
export class RequestScan extends ScanSink {
  model: string = "";
  rpcMethod: string = "";
  toolName: string = "";

  wantsString(sc: JsonScanner): bool {
    const k = sc.key();
    if (sc.depth == 1) return k == "model" || k == "method";
    return sc.depth == 2 && k == "name" && sc.keyAt(1) == "params";
  }

  onString(sc: JsonScanner, value: string): void {
    const k = sc.key();
    if (sc.depth == 1) {
      if (k == "model") this.model = value;
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
