// An ordered, case-insensitive HTTP field map with Envoy's HeaderMap semantics, plus the
// proxy-wasm pair serialization used by header maps, map properties and local responses.
//
// Header names and values are byte strings: one JS char per byte, exactly as Node's HTTP parser
// hands them over and writes them back (its 'latin1' mapping, which is a byte-for-byte copy, not
// a character decoding). Envoy passes header bytes through untouched, so every crossing into or
// out of a plugin copies them byte for byte too (fieldBytes / fieldString); a header is never
// decoded as UTF-8.

export type HeaderPairs = Array<[string, string]>;
export type HeadersInit = HeaderPairs | Record<string, string | string[] | number | undefined>;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The bytes of a header name or value held as a byte string. */
export function fieldBytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** A header name or value from the plugin's bytes, as a byte string. */
export function fieldString(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/** Header pairs in the ABI's map format, byte for byte. */
export function serializeFields(pairs: HeaderPairs): Uint8Array {
  return serializePairs(pairs.map(([k, v]) => [fieldBytes(k), fieldBytes(v)]));
}

/** Header pairs from the ABI's map format, byte for byte. */
export function deserializeFields(buf: Uint8Array): HeaderPairs {
  return deserializePairs(buf, fieldString);
}

export class HeaderMap {
  pairs: HeaderPairs;
  constructor(init?: HeadersInit) {
    this.pairs = [];
    if (!init) return;
    if (Array.isArray(init)) {
      for (const [k, v] of init) this.pairs.push([k.toLowerCase(), String(v)]);
    } else {
      for (const [k, v] of Object.entries(init)) {
        if (v === undefined) continue;
        if (Array.isArray(v)) for (const x of v) this.pairs.push([k.toLowerCase(), String(x)]);
        else this.pairs.push([k.toLowerCase(), String(v)]);
      }
    }
  }
  get size(): number {
    return this.pairs.length;
  }
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) if (pairs[i][0] === k) return pairs[i][1];
    return undefined;
  }
  getAll(key: string): string[] {
    const k = key.toLowerCase();
    return this.pairs.filter(([pk]) => pk === k).map(([, v]) => v);
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  add(key: string, value: string): void {
    this.pairs.push([key.toLowerCase(), value]);
  }
  /** Envoy's setCopy: the first entry keeps its place and takes the value; duplicates go. */
  replace(key: string, value: string): void {
    const k = key.toLowerCase();
    const i = this.pairs.findIndex(([pk]) => pk === k);
    if (i < 0) {
      this.pairs.push([k, value]);
      return;
    }
    this.pairs[i] = [k, value];
    this.pairs = this.pairs.filter(([pk], j) => j <= i || pk !== k);
  }
  remove(key: string): void {
    const k = key.toLowerCase();
    this.pairs = this.pairs.filter(([pk]) => pk !== k);
  }
  setAll(pairs: HeaderPairs): void {
    this.pairs = pairs.map(([k, v]) => [k.toLowerCase(), v]);
  }
  /** Envoy's HeaderMap::byteSize(): keys plus values, no separators. */
  byteSize(): number {
    let n = 0;
    for (const [k, v] of this.pairs) n += k.length + v.length; // byte strings: a char is a byte
    return n;
  }
  toObject(): Record<string, string> {
    const o: Record<string, string> = {};
    for (const [k, v] of this.pairs) o[k] = o[k] === undefined ? v : `${o[k]},${v}`;
    return o;
  }
  clone(): HeaderMap {
    const m = new HeaderMap();
    m.pairs = this.pairs.map(([k, v]) => [k, v]);
    return m;
  }
}

/** Serializes pairs as the ABI's map format: count, (key len, value len)*, key\0value\0 ... */
export function serializePairs(pairs: Array<[string | Uint8Array, string | Uint8Array]>): Uint8Array {
  const bytes = pairs.map(([k, v]) => [typeof k === 'string' ? enc.encode(k) : k, typeof v === 'string' ? enc.encode(v) : v] as const);
  let size = 4;
  for (const [k, v] of bytes) size += 8 + k.length + 1 + v.length + 1;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, bytes.length, true);
  let p = 4;
  for (const [k, v] of bytes) {
    dv.setUint32(p, k.length, true);
    dv.setUint32(p + 4, v.length, true);
    p += 8;
  }
  for (const [k, v] of bytes) {
    out.set(k, p);
    p += k.length + 1;
    out.set(v, p);
    p += v.length + 1;
  }
  return out;
}

/** Parses the ABI's map format; throws RangeError on a malformed buffer. */
export function deserializePairs(buf: Uint8Array, text: (b: Uint8Array) => string = (b) => dec.decode(b)): HeaderPairs {
  if (buf.length === 0 || (buf.length === 1 && buf[0] === 0)) return [];
  if (buf.length < 4) throw new RangeError('serialized map too short');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = dv.getUint32(0, true);
  if (n > (buf.length - 4) / 8) throw new RangeError('serialized map count out of range');
  let p = 4 + n * 8;
  const out: HeaderPairs = [];
  for (let i = 0; i < n; i++) {
    const kl = dv.getUint32(4 + i * 8, true);
    const vl = dv.getUint32(8 + i * 8, true);
    if (p + kl + 1 + vl + 1 > buf.length) throw new RangeError('serialized map entry out of range');
    const k = text(buf.subarray(p, p + kl));
    p += kl + 1;
    const v = text(buf.subarray(p, p + vl));
    p += vl + 1;
    out.push([k, v]);
  }
  return out;
}
