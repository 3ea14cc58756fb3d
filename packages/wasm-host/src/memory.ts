import "./webassembly-types.js";
// Safe access to a plugin's linear memory. Every host function goes through these helpers so an
// out-of-range pointer becomes INVALID_MEMORY_ACCESS instead of a host exception, as
// proxy-wasm-cpp-host src/exports.cc answers when getMemory/setMemory fail.
//
// The views over the memory are made once per ArrayBuffer: growing the memory replaces the
// buffer (and detaches the old one), so every access first checks that the buffer is the same.
// Strings are decoded straight from the memory and written straight into it, with no copy in
// between; only bytes() copies, because what it returns outlives the call.

export class MemoryAccessError extends Error {}

const dec = new TextDecoder();

export class GuestMemory {
  private u8 = new Uint8Array(0);
  private dv = new DataView(new ArrayBuffer(0));
  private nb = Buffer.alloc(0);
  constructor(
    private readonly getMemory: () => WebAssembly.Memory,
    private readonly alloc: (size: number) => number,
  ) {}
  private sync(): void {
    const b = this.getMemory().buffer;
    this.u8 = new Uint8Array(b);
    this.dv = new DataView(b);
    this.nb = Buffer.from(b);
  }
  private check(ptr: number, len: number): void {
    // Growing a memory detaches its old buffer (views read 0 bytes long); a shared memory's old
    // buffer keeps its old length instead: either way a range past the view's end re-reads the
    // memory before it is refused.
    if (this.u8.byteLength === 0 || ptr + len > this.u8.byteLength) this.sync();
    if (ptr < 0 || len < 0 || ptr + len > this.u8.byteLength) {
      throw new MemoryAccessError(`memory access out of range: ${ptr}+${len}`);
    }
  }
  bytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    // Copy: the view would be detached when the module grows its memory.
    return this.u8.slice(ptr, ptr + len);
  }
  string(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return len === 0 ? '' : dec.decode(this.u8.subarray(ptr, ptr + len));
  }
  /** Bytes as a byte string (one char per byte), for header names and values. */
  field(ptr: number, len: number): string {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    return this.nb.toString('latin1', ptr, ptr + len);
  }
  u32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return this.dv.getUint32(ptr, true);
  }
  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    this.dv.setUint32(ptr, v >>> 0, true);
  }
  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    this.dv.setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }
  write(ptr: number, data: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, data.length);
    this.u8.set(data, ptr);
  }
  /** A fresh allocation of `size` bytes in the module (memory views are refreshed after it). */
  private allocate(size: number): number {
    const p = this.alloc(size);
    if (!p && size > 0) throw new MemoryAccessError('module allocator returned 0');
    return p >>> 0;
  }
  /** Copies data into a fresh allocation in the module and stores its address and size. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): void {
    const p = this.allocate(data.length);
    if (data.length > 0) this.write(p, data);
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, data.length);
  }
  /** copyOut of a byte string (a header name or value), written byte for byte into the module. */
  copyOutField(s: string, ptrPtr: number, sizePtr: number): void {
    const p = this.allocate(s.length);
    this.check(p, s.length);
    if (s.length > 0) this.nb.write(s, p, s.length, 'latin1');
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, s.length);
  }
  /**
   * copyOut of header pairs in the ABI's map format (header-map.ts serializePairs), serialised
   * straight into the module's allocation: byte strings are a byte a char, so sizes are lengths.
   */
  copyOutFields(pairs: ReadonlyArray<readonly [string, string]>, ptrPtr: number, sizePtr: number): void {
    let size = 4;
    for (const [k, v] of pairs) size += 8 + k.length + 1 + v.length + 1;
    const p = this.allocate(size);
    this.check(p, size);
    const dv = this.dv;
    const nb = this.nb;
    dv.setUint32(p, pairs.length, true);
    let q = p + 4;
    for (const [k, v] of pairs) {
      dv.setUint32(q, k.length, true);
      dv.setUint32(q + 4, v.length, true);
      q += 8;
    }
    for (const [k, v] of pairs) {
      nb.write(k, q, k.length, 'latin1');
      q += k.length;
      nb[q++] = 0;
      nb.write(v, q, v.length, 'latin1');
      q += v.length;
      nb[q++] = 0;
    }
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, size);
  }
}
