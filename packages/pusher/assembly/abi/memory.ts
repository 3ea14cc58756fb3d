// Memory handoff between host and plugin. The host asks for memory through
// proxy_on_memory_allocate and writes (pointer, size) of the data it returns into two
// scratch words; the plugin copies that data into a managed buffer and frees the raw block.
// Raw blocks come from `heap.alloc`, which the garbage collector never moves or collects.

const RETURN_DATA: usize = memory.data(4, 4);
const RETURN_SIZE: usize = memory.data(4, 4);

export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size == 0 ? 1 : size);
}

/** Address of the word where the host writes a returned data pointer. */
export function returnDataPtr(): usize {
  store<u32>(RETURN_DATA, 0);
  return RETURN_DATA;
}

/** Address of the word where the host writes a returned data size. */
export function returnSizePtr(): usize {
  store<u32>(RETURN_SIZE, 0);
  return RETURN_SIZE;
}

/** Copies the block the host just returned into a managed ArrayBuffer and frees the block. */
export function takeReturnedBuffer(): ArrayBuffer {
  const ptr = <usize>load<u32>(RETURN_DATA);
  const size = <i32>load<u32>(RETURN_SIZE);
  const out = new ArrayBuffer(size);
  if (ptr != 0) {
    if (size > 0) memory.copy(changetype<usize>(out), ptr, <usize>size);
    heap.free(ptr);
  }
  return out;
}

/** Address of the block the host just returned (0 when none). */
export function returnedPtr(): usize {
  return <usize>load<u32>(RETURN_DATA);
}

/** Size of the block the host just returned. */
export function returnedSize(): i32 {
  return <i32>load<u32>(RETURN_SIZE);
}

/** Frees a block the host returned without reading it. */
export function dropReturnedBuffer(): void {
  const ptr = <usize>load<u32>(RETURN_DATA);
  if (ptr != 0) heap.free(ptr);
}
