// Serialization of header maps as the ABI exchanges them:
// u32 count, then per pair u32 key length and u32 value length, then per pair the key bytes,
// a NUL, the value bytes and a NUL.
import { decodeUtf8 } from "./utf8";

export class HeaderPair {
  constructor(public key: string, public value: string) {}
}

export function decodePairs(buf: ArrayBuffer): HeaderPair[] {
  const out = new Array<HeaderPair>();
  const len = buf.byteLength;
  if (len < 4) return out;
  const base = changetype<usize>(buf);
  const count = <i32>load<u32>(base);
  if (count <= 0 || <i64>4 + <i64>count * 8 > <i64>len) return out;
  let data = base + 4 + <usize>count * 8;
  const end = base + <usize>len;
  for (let i = 0; i < count; i++) {
    const kLen = <usize>load<u32>(base + 4 + <usize>i * 8);
    const vLen = <usize>load<u32>(base + 8 + <usize>i * 8);
    if (data + kLen + 1 + vLen + 1 > end) break;
    const key = decodeUtf8(data, kLen);
    data += kLen + 1;
    const value = decodeUtf8(data, vLen);
    data += vLen + 1;
    out.push(new HeaderPair(key, value));
  }
  return out;
}

export function encodePairs(pairs: HeaderPair[]): ArrayBuffer {
  const n = pairs.length;
  const keys = new Array<ArrayBuffer>(n);
  const values = new Array<ArrayBuffer>(n);
  let size: i32 = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const k = String.UTF8.encode(pairs[i].key);
    const v = String.UTF8.encode(pairs[i].value);
    keys[i] = k;
    values[i] = v;
    size += k.byteLength + v.byteLength + 2;
  }
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  store<u32>(base, <u32>n);
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const v = values[i];
    store<u32>(base + 4 + <usize>i * 8, <u32>k.byteLength);
    store<u32>(base + 8 + <usize>i * 8, <u32>v.byteLength);
    memory.copy(data, changetype<usize>(k), <usize>k.byteLength);
    data += <usize>k.byteLength;
    store<u8>(data, 0);
    data += 1;
    memory.copy(data, changetype<usize>(v), <usize>v.byteLength);
    data += <usize>v.byteLength;
    store<u8>(data, 0);
    data += 1;
  }
  return buf;
}
