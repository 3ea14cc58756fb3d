import "./webassembly-types.js";
// Safe access to a plugin's linear memory. Every host function goes through these helpers so an
// out-of-range pointer becomes INVALID_MEMORY_ACCESS instead of a host exception.

export class MemoryAccessError extends Error {}

const dec = new TextDecoder();

export class GuestMemory {
  constructor(
    private readonly getMemory: () => WebAssembly.Memory,
    private readonly alloc: (size: number) => number,
  ) {}
  private buf(): ArrayBuffer {
    return this.getMemory().buffer;
  }
  private check(ptr: number, len: number): void {
    if (ptr < 0 || len < 0 || ptr + len > this.buf().byteLength) {
      throw new MemoryAccessError(`memory access out of range: ${ptr}+${len}`);
    }
  }
  bytes(ptr: number, len: number): Uint8Array {
    ptr >>>= 0;
    len >>>= 0;
    this.check(ptr, len);
    // Copy: the view would be detached when the module grows its memory.
    return new Uint8Array(this.buf(), ptr, len).slice();
  }
  string(ptr: number, len: number): string {
    return dec.decode(this.bytes(ptr, len));
  }
  /** Bytes as a byte string (one char per byte), for header names and values. */
  field(ptr: number, len: number): string {
    return Buffer.from(this.bytes(ptr, len)).toString('latin1');
  }
  u32(ptr: number): number {
    ptr >>>= 0;
    this.check(ptr, 4);
    return new DataView(this.buf()).getUint32(ptr, true);
  }
  setU32(ptr: number, v: number): void {
    ptr >>>= 0;
    this.check(ptr, 4);
    new DataView(this.buf()).setUint32(ptr, v >>> 0, true);
  }
  setU64(ptr: number, v: bigint): void {
    ptr >>>= 0;
    this.check(ptr, 8);
    new DataView(this.buf()).setBigUint64(ptr, BigInt.asUintN(64, v), true);
  }
  write(ptr: number, data: Uint8Array): void {
    ptr >>>= 0;
    this.check(ptr, data.length);
    new Uint8Array(this.buf(), ptr, data.length).set(data);
  }
  /** Copies data into a fresh allocation in the module and stores its address and size. */
  copyOut(data: Uint8Array, ptrPtr: number, sizePtr: number): void {
    const p = this.alloc(data.length);
    if (!p && data.length > 0) throw new MemoryAccessError('module allocator returned 0');
    if (data.length > 0) this.write(p, data);
    this.setU32(ptrPtr, p);
    this.setU32(sizePtr, data.length);
  }
}
