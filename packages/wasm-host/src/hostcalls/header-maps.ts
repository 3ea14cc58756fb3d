// Header maps: the stream's headers and trailers, http-call response headers and trailers.
// Names and values cross as bytes, unchanged (header-map.ts).

import { MapType, Status } from '../abi.js';
import { deserializeFields, HeaderMap } from '../header-map.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

/** The map a type names for the effective context; undefined: none now; null: no such type. */
function mapFor(vm: VmAbi, type: number): HeaderMap | undefined | null {
  if (type === MapType.HttpCallResponseHeaders || type === MapType.HttpCallResponseTrailers) {
    const r = vm.callResponse;
    if (!r) return undefined;
    if (r.kind !== 'response') return new HeaderMap();
    return new HeaderMap(type === MapType.HttpCallResponseHeaders ? r.headers : r.trailers);
  }
  if (type < 0 || type > 7) return null;
  const ctx = vm.ctx();
  return ctx.stream?.headerMap(type, ctx.index);
}

export function headerMapCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  const setMap = (type: number, fn: (map: HeaderMap) => void): number => {
    const map = mapFor(vm, type);
    if (map === null) return Status.BadArgument;
    if (!map || !vm.ctx().stream?.headerMapWritable(type, vm.ctx().index)) return Status.BadArgument;
    fn(map);
    return Status.Ok;
  };
  return {
    proxy_get_header_map_pairs: g((type: number, ptrPtr: number, sizePtr: number) => {
      const map = mapFor(vm, type);
      if (map === null) return Status.BadArgument;
      // Upstream Envoy answers BadArgument for a map it does not hold now (Context::getConstMap).
      if (!map && vm.host.flavour === 'upstream' && type <= MapType.HttpResponseTrailers) return Status.BadArgument;
      m().copyOutFields(map?.pairs ?? [], ptrPtr, sizePtr);
      return Status.Ok;
    }),
    proxy_set_header_map_pairs: g((type: number, ptr: number, size: number) => {
      const pairs = deserializeFields(m().bytes(ptr, size));
      return setMap(type, (map) => map.setAll(pairs));
    }),
    proxy_get_header_map_size: g((type: number, sizePtr: number) => {
      const map = mapFor(vm, type);
      if (!map) return Status.BadArgument;
      m().setU32(sizePtr, map.byteSize());
      return Status.Ok;
    }),
    proxy_get_header_map_value: g((type: number, kp: number, ks: number, ptrPtr: number, sizePtr: number) => {
      const map = mapFor(vm, type);
      if (!map) return Status.BadArgument;
      const v = map.get(m().field(kp, ks));
      if (v === undefined) {
        if (vm.abi !== '0.1.0') return Status.NotFound;
        m().copyOut(new Uint8Array(), ptrPtr, sizePtr);
        return Status.Ok;
      }
      m().copyOutField(v, ptrPtr, sizePtr);
      return Status.Ok;
    }),
    proxy_add_header_map_value: g((type: number, kp: number, ks: number, vp: number, vs: number) => {
      const k = m().field(kp, ks);
      const v = m().field(vp, vs);
      return setMap(type, (map) => map.add(k, v));
    }),
    proxy_replace_header_map_value: g((type: number, kp: number, ks: number, vp: number, vs: number) => {
      const k = m().field(kp, ks);
      const v = m().field(vp, vs);
      return setMap(type, (map) => map.replace(k, v));
    }),
    proxy_remove_header_map_value: g((type: number, kp: number, ks: number) => {
      const k = m().field(kp, ks);
      return setMap(type, (map) => map.remove(k));
    }),
  };
}
