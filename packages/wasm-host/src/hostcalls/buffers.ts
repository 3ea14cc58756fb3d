// Buffers: request/response bodies, VM and plugin configuration, http-call response bodies.

import { BufferType, Status } from '../abi.js';
import { concat } from '../bytes.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

type Buffer = { get(): Uint8Array; set?(b: Uint8Array): void };

/** The buffer a type names for the effective context; undefined: none now; null: no such type. */
function bufferFor(vm: VmAbi, type: number): Buffer | undefined | null {
  const ctx = vm.ctx();
  switch (type) {
    case BufferType.VmConfiguration:
      return { get: () => vm.vmConfiguration };
    case BufferType.PluginConfiguration:
      // Envoy offers the plugin configuration only while on_configure runs.
      return vm.configuring === 'plugin' ? { get: () => vm.configuration } : undefined;
    case BufferType.HttpCallResponseBody: {
      const r = vm.callResponse;
      return r ? { get: () => (r.kind === 'response' ? r.body : new Uint8Array()) } : undefined;
    }
    case BufferType.HttpRequestBody:
    case BufferType.HttpResponseBody:
      return ctx.stream?.bodyBuffer(ctx.index, type);
    case BufferType.DownstreamData:
    case BufferType.UpstreamData:
    case BufferType.GrpcCallMessage:
    case BufferType.ForeignFunctionArguments:
      return undefined;
    default:
      return null;
  }
}

export function bufferCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  return {
    proxy_get_configuration: g((ptrPtr: number, sizePtr: number) => {
      const cfg = vm.configuring === 'vm' ? vm.vmConfiguration : vm.configuration;
      m().copyOut(cfg, ptrPtr, sizePtr);
      return Status.Ok;
    }),
    proxy_get_buffer_status: g((type: number, sizePtr: number, flagsPtr: number) => {
      const b = bufferFor(vm, type);
      if (b === null) return Status.BadArgument;
      if (!b) return Status.NotFound;
      m().setU32(sizePtr, b.get().length);
      m().setU32(flagsPtr, 0);
      return Status.Ok;
    }),
    proxy_get_buffer_bytes: g((type: number, start: number, max: number, ptrPtr: number, sizePtr: number) => {
      const b = bufferFor(vm, type);
      if (b === null) return Status.BadArgument;
      if (!b) return Status.NotFound;
      const data = b.get();
      start >>>= 0;
      max >>>= 0;
      if (start > data.length) return Status.BadArgument;
      m().copyOut(data.subarray(start, Math.min(data.length, start + max)), ptrPtr, sizePtr);
      return Status.Ok;
    }),
    proxy_set_buffer_bytes: g((type: number, start: number, size: number, ptr: number, len: number) => {
      const b = bufferFor(vm, type);
      if (b === null) return Status.BadArgument;
      if (!b) return Status.NotFound;
      if (!b.set) return Status.BadArgument;
      const value = m().bytes(ptr, len);
      const cur = b.get();
      start >>>= 0;
      size >>>= 0;
      // Envoy's Buffer::copyFrom: prepend (0,0), replace all (0,>=len), or append (start>=len).
      if (start === 0 && size === 0) b.set(concat(value, cur));
      else if (start === 0 && size >= cur.length) b.set(value);
      else if (start >= cur.length) b.set(concat(cur, value));
      else return Status.BadArgument;
      return Status.Ok;
    }),
  };
}
