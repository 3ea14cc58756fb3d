// Minimal protobuf writer for the few messages Envoy hands to plugins as serialized protos
// (`node`, google.protobuf.Struct metadata). Hand-written because these three shapes are all
// the host needs, and a full protobuf runtime plus generated Envoy types would dwarf the package.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

class Writer {
  private chunks: Uint8Array[] = [];
  private len = 0;
  private push(b: Uint8Array): void {
    this.chunks.push(b);
    this.len += b.length;
  }
  varint(n: number): void {
    const bytes: number[] = [];
    let v = BigInt(n);
    if (v < 0n) v = BigInt.asUintN(64, v);
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      bytes.push(b);
    } while (v > 0n);
    this.push(Uint8Array.from(bytes));
  }
  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.push(b);
  }
  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }
  double(field: number, d: number): void {
    this.tag(field, 1);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, d, true);
    this.push(b);
  }
  bool(field: number, v: boolean): void {
    this.tag(field, 0);
    this.varint(v ? 1 : 0);
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.len);
    let p = 0;
    for (const c of this.chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

/** google.protobuf.Value */
export function encodeValue(v: JsonValue): Uint8Array {
  const w = new Writer();
  if (v === null) {
    w.tag(1, 0);
    w.varint(0);
  } else if (typeof v === 'number') w.double(2, v);
  else if (typeof v === 'string') w.string(3, v);
  else if (typeof v === 'boolean') w.bool(4, v);
  else if (Array.isArray(v)) {
    const l = new Writer();
    for (const x of v) l.bytes(1, encodeValue(x));
    w.bytes(6, l.finish());
  } else w.bytes(5, encodeStruct(v));
  return w.finish();
}

/** google.protobuf.Struct */
export function encodeStruct(o: { [k: string]: JsonValue }): Uint8Array {
  const w = new Writer();
  for (const [k, v] of Object.entries(o)) {
    const e = new Writer();
    e.string(1, k);
    e.bytes(2, encodeValue(v));
    w.bytes(1, e.finish());
  }
  return w.finish();
}

/** envoy.config.core.v3.Node: id = 1, cluster = 2, metadata = 3. */
export function encodeNode(node: { id: string; cluster?: string; metadata?: { [k: string]: JsonValue } }): Uint8Array {
  const w = new Writer();
  if (node.id) w.string(1, node.id);
  if (node.cluster) w.string(2, node.cluster);
  if (node.metadata && Object.keys(node.metadata).length > 0) w.bytes(3, encodeStruct(node.metadata));
  return w.finish();
}
