// Reads what the JS WebAssembly API does not expose: the signature of every imported function
// and the limits of an imported memory, from the module's type and import sections
// (WebAssembly core spec, "Binary Format" 5.5.2 / 5.5.5). Hand-written because the only npm
// parsers that do this (@webassemblyjs/*, wabt's readWasm) decode the whole module; this reads
// two sections and skips the rest by their declared sizes.

export type ValType = 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'funcref' | 'externref';

export interface FuncSig {
  params: ValType[];
  results: ValType[];
}

export type ImportInfo =
  | { module: string; name: string; kind: 'function'; sig: FuncSig }
  | { module: string; name: string; kind: 'memory'; initial: number; maximum?: number; shared: boolean }
  | { module: string; name: string; kind: 'table'; element: ValType; initial: number; maximum?: number }
  | { module: string; name: string; kind: 'global' | 'tag' };

const VALTYPES: Record<number, ValType> = { 0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128', 0x70: 'funcref', 0x6f: 'externref' };

export class ModuleFormatError extends Error {}

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array, readonly end = b.length) {}
  byte(): number {
    if (this.pos >= this.end) throw new ModuleFormatError('unexpected end of section');
    return this.b[this.pos++];
  }
  u32(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      const x = this.byte();
      result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return result;
      shift += 7;
    }
    throw new ModuleFormatError('LEB128 integer too long');
  }
  name(): string {
    const n = this.u32();
    if (this.pos + n > this.end) throw new ModuleFormatError('name out of range');
    const s = new TextDecoder('utf-8', { fatal: true }).decode(this.b.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  valtype(): ValType {
    const t = VALTYPES[this.byte()];
    if (!t) throw new ModuleFormatError('unknown value type');
    return t;
  }
  limits(): { initial: number; maximum?: number; shared: boolean } {
    const flags = this.byte();
    const initial = this.u32();
    const maximum = flags & 1 ? this.u32() : undefined;
    return { initial, maximum, shared: (flags & 2) !== 0 };
  }
}

/** The imports of a module with their types, in declaration order. */
export function readImports(bytes: Uint8Array): ImportInfo[] {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) throw new ModuleFormatError('not a WebAssembly module');
  const top = new Reader(bytes);
  top.pos = 8;
  const types: FuncSig[] = [];
  while (top.pos < bytes.length) {
    const id = top.byte();
    const size = top.u32();
    const start = top.pos;
    if (start + size > bytes.length) throw new ModuleFormatError('section out of range');
    const r = new Reader(bytes, start + size);
    r.pos = start;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        if (r.byte() !== 0x60) throw new ModuleFormatError('only function types are supported');
        const params = Array.from({ length: r.u32() }, () => r.valtype());
        const results = Array.from({ length: r.u32() }, () => r.valtype());
        types.push({ params, results });
      }
    } else if (id === 2) {
      const out: ImportInfo[] = [];
      for (let n = r.u32(); n > 0; n--) {
        const module = r.name();
        const name = r.name();
        const kind = r.byte();
        if (kind === 0) {
          const sig = types[r.u32()];
          if (!sig) throw new ModuleFormatError(`import ${module}.${name} names an unknown type`);
          out.push({ module, name, kind: 'function', sig });
        } else if (kind === 1) {
          const element = r.valtype();
          const { initial, maximum } = r.limits();
          out.push({ module, name, kind: 'table', element, initial, maximum });
        } else if (kind === 2) {
          out.push({ module, name, kind: 'memory', ...r.limits() });
        } else if (kind === 3) {
          r.valtype();
          r.byte();
          out.push({ module, name, kind: 'global' });
        } else {
          out.push({ module, name, kind: 'tag' });
          break; // a tag's encoding is not needed: the module is refused for it anyway
        }
      }
      return out;
    } else if (id !== 0 && id > 2) {
      return []; // sections are ordered: no import section follows
    }
    top.pos = start + size;
  }
  return [];
}

export function sigToString(s: FuncSig): string {
  const p = (l: ValType[]) => (l.length ? l.join(' ') : 'void');
  return `${p(s.params)} -> ${p(s.results)}`;
}

export function sameSig(a: FuncSig, b: FuncSig): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}
