// A growable UTF-8 byte buffer with JSON string escaping. Records are written straight to
// bytes so a batch is a concatenation of ready-made lines. Hand-written because no maintained
// AssemblyScript JSON library builds with asc 0.28.
import { decodeUtf8 } from "../abi/utf8";

const HEX = "0123456789abcdef";

export class ByteWriter {
  buf: ArrayBuffer;
  len: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.buf = new ArrayBuffer(capacity < 16 ? 16 : capacity);
  }

  reset(): void { this.len = 0; }

  private ensure(extra: i32): void {
    const need = this.len + extra;
    if (need <= this.buf.byteLength) return;
    let cap = this.buf.byteLength << 1;
    while (cap < need) cap <<= 1;
    const next = new ArrayBuffer(cap);
    memory.copy(changetype<usize>(next), changetype<usize>(this.buf), <usize>this.len);
    this.buf = next;
  }

  byte(b: u8): void {
    this.ensure(1);
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, b);
    this.len++;
  }

  raw(ptr: usize, n: i32): void {
    if (n <= 0) return;
    this.ensure(n);
    memory.copy(changetype<usize>(this.buf) + <usize>this.len, ptr, <usize>n);
    this.len += n;
  }

  buffer(b: ArrayBuffer): void { this.raw(changetype<usize>(b), b.byteLength); }

  /** Writes a string as UTF-8 without escaping (for JSON text already known to be valid). */
  text(s: string): void {
    const b = String.UTF8.encode(s, false, String.UTF8.ErrorMode.REPLACE);
    this.raw(changetype<usize>(b), b.byteLength);
  }

  int(v: i64): void {
    this.text(v.toString());
  }

  // Appends without a capacity check; callers ensure room first.
  @inline private put(b: u8): void {
    store<u8>(changetype<usize>(this.buf) + <usize>this.len, b);
    this.len++;
  }

  /** Writes `s` as a quoted JSON string, at most `maxChars` UTF-16 units (0: no limit). */
  jsonString(s: string, maxChars: i32 = 0): void {
    let n = s.length;
    if (maxChars > 0 && n > maxChars) n = maxChars;
    this.ensure(n * 6 + 2); // worst case: every unit escaped as \u00XX
    this.put(0x22);
    for (let i = 0; i < n; i++) {
      let c = <u32>s.charCodeAt(i);
      if (c < 0x80) {
        if (c == 0x22 || c == 0x5c) { this.put(0x5c); this.put(<u8>c); }
        else if (c >= 0x20) this.put(<u8>c);
        else if (c == 0x0a) { this.put(0x5c); this.put(0x6e); }
        else if (c == 0x0d) { this.put(0x5c); this.put(0x72); }
        else if (c == 0x09) { this.put(0x5c); this.put(0x74); }
        else {
          this.put(0x5c); this.put(0x75); this.put(0x30); this.put(0x30);
          this.put(<u8>HEX.charCodeAt(c >> 4)); this.put(<u8>HEX.charCodeAt(c & 15));
        }
        continue;
      }
      if (c < 0x800) {
        this.put(<u8>(0xc0 | (c >> 6)));
        this.put(<u8>(0x80 | (c & 0x3f)));
        continue;
      }
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < n) {
        const d = <u32>s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          this.put(<u8>(0xf0 | (cp >> 18)));
          this.put(<u8>(0x80 | ((cp >> 12) & 0x3f)));
          this.put(<u8>(0x80 | ((cp >> 6) & 0x3f)));
          this.put(<u8>(0x80 | (cp & 0x3f)));
          i++;
          continue;
        }
      }
      if (c >= 0xd800 && c < 0xe000) c = 0xfffd; // lone surrogate
      this.put(<u8>(0xe0 | (c >> 12)));
      this.put(<u8>(0x80 | ((c >> 6) & 0x3f)));
      this.put(<u8>(0x80 | (c & 0x3f)));
    }
    this.put(0x22);
  }

  toBuffer(): ArrayBuffer {
    return this.buf.slice(0, this.len);
  }

  toString(): string {
    return decodeUtf8(changetype<usize>(this.buf), <usize>this.len);
  }
}
