// A small, bounded JSON parser for the documents the plugin must understand whole: its own
// configuration and ai-statistics' ai_log. Response and request bodies are never parsed this
// way (see scan.ts, which streams them in constant memory). Hand-written because no maintained
// AssemblyScript JSON library builds with asc 0.28.

export const enum JsonKind { Null, Bool, Number, String, Array, Object }

const MAX_DEPTH: i32 = 32;

export class JsonValue {
  kind: JsonKind = JsonKind.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  items: JsonValue[] = [];
  keys: string[] = [];

  get(key: string): JsonValue | null {
    if (this.kind != JsonKind.Object) return null;
    for (let i = this.keys.length - 1; i >= 0; i--) {
      if (this.keys[i] == key) return this.items[i];
    }
    return null;
  }

  has(key: string): bool { return this.get(key) !== null; }

  isInteger(): bool {
    return this.kind == JsonKind.Number && Math.floor(this.num) == this.num && Math.abs(this.num) < 9.0e15;
  }
}

export class JsonParser {
  pos: i32 = 0;
  error: string = "";

  constructor(private s: string) {}

  /** Parses the whole text; null with `error` set when it is not a single JSON value. */
  parse(): JsonValue | null {
    const v = this.value(0);
    if (v === null) return null;
    this.ws();
    if (this.pos != this.s.length) { this.fail("unexpected text after the JSON value"); return null; }
    return v;
  }

  private fail(msg: string): void {
    if (this.error.length == 0) this.error = msg + " at offset " + this.pos.toString();
  }

  private ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x20 || c == 0x0a || c == 0x0d || c == 0x09) this.pos++;
      else break;
    }
  }

  private value(depth: i32): JsonValue | null {
    if (depth > MAX_DEPTH) { this.fail("nesting too deep"); return null; }
    this.ws();
    if (this.pos >= this.s.length) { this.fail("unexpected end"); return null; }
    const c = this.s.charCodeAt(this.pos);
    const v = new JsonValue();
    if (c == 0x7b) { // {
      v.kind = JsonKind.Object;
      this.pos++;
      this.ws();
      if (this.peek() == 0x7d) { this.pos++; return v; }
      while (true) {
        this.ws();
        if (this.peek() != 0x22) { this.fail("expected a string key"); return null; }
        const k = this.string();
        if (k === null) return null;
        this.ws();
        if (this.peek() != 0x3a) { this.fail("expected ':'"); return null; }
        this.pos++;
        const item = this.value(depth + 1);
        if (item === null) return null;
        v.keys.push(k);
        v.items.push(item);
        this.ws();
        const d = this.peek();
        this.pos++;
        if (d == 0x2c) continue;
        if (d == 0x7d) return v;
        this.pos--;
        this.fail("expected ',' or '}'");
        return null;
      }
    }
    if (c == 0x5b) { // [
      v.kind = JsonKind.Array;
      this.pos++;
      this.ws();
      if (this.peek() == 0x5d) { this.pos++; return v; }
      while (true) {
        const item = this.value(depth + 1);
        if (item === null) return null;
        v.items.push(item);
        this.ws();
        const d = this.peek();
        this.pos++;
        if (d == 0x2c) continue;
        if (d == 0x5d) return v;
        this.pos--;
        this.fail("expected ',' or ']'");
        return null;
      }
    }
    if (c == 0x22) {
      const str = this.string();
      if (str === null) return null;
      v.kind = JsonKind.String;
      v.str = str;
      return v;
    }
    if (this.literal("true")) { v.kind = JsonKind.Bool; v.bool = true; return v; }
    if (this.literal("false")) { v.kind = JsonKind.Bool; return v; }
    if (this.literal("null")) return v;
    if (c == 0x2d || (c >= 0x30 && c <= 0x39)) return this.number(v);
    this.fail("unexpected character");
    return null;
  }

  private peek(): i32 {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }

  private literal(word: string): bool {
    if (this.s.length - this.pos >= word.length && this.s.substr(this.pos, word.length) == word) {
      this.pos += word.length;
      return true;
    }
    return false;
  }

  private number(v: JsonValue): JsonValue | null {
    const start = this.pos;
    const s = this.s;
    if (this.peek() == 0x2d) this.pos++;
    let digits = 0;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if ((c >= 0x30 && c <= 0x39) || c == 0x2e || c == 0x65 || c == 0x45 || c == 0x2b || c == 0x2d) {
        if (c >= 0x30 && c <= 0x39) digits++;
        this.pos++;
      } else break;
    }
    if (digits == 0) { this.fail("bad number"); return null; }
    const text = s.substring(start, this.pos);
    const n = parseFloat(text);
    if (isNaN(n)) { this.fail("bad number"); return null; }
    v.kind = JsonKind.Number;
    v.num = n;
    return v;
  }

  private string(): string | null {
    const s = this.s;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c == 0x22) {
        out += s.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) { this.fail("control character in string"); return null; }
      if (c == 0x5c) {
        out += s.substring(runStart, this.pos);
        this.pos++;
        if (this.pos >= s.length) break;
        const e = s.charCodeAt(this.pos);
        this.pos++;
        if (e == 0x22) out += "\"";
        else if (e == 0x5c) out += "\\";
        else if (e == 0x2f) out += "/";
        else if (e == 0x62) out += "\b";
        else if (e == 0x66) out += "\f";
        else if (e == 0x6e) out += "\n";
        else if (e == 0x72) out += "\r";
        else if (e == 0x74) out += "\t";
        else if (e == 0x75) {
          if (this.pos + 4 > s.length) break;
          const code = parseHex4(s, this.pos);
          if (code < 0) { this.fail("bad \\u escape"); return null; }
          out += String.fromCharCode(code);
          this.pos += 4;
        } else { this.fail("bad escape"); return null; }
        runStart = this.pos;
        continue;
      }
      this.pos++;
    }
    this.fail("unterminated string");
    return null;
  }
}

function parseHex4(s: string, at: i32): i32 {
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const c = s.charCodeAt(at + i);
    let d: i32;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

export function parseJson(text: string): JsonValue | null {
  return new JsonParser(text).parse();
}
