// Properties: proxy_get_property / proxy_set_property. Which names exist depends on the Envoy
// flavour (properties/tables.ts); the VM answers plugin_* and node.*, the stream the rest.

import { Status } from '../abi.js';
import { serializePairs } from '../header-map.js';
import { canonicalPath } from '../properties/tables.js';
import { encodeNode, type JsonValue } from '../protobuf.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

const enc = new TextEncoder();

export function splitPath(path: string): string[] {
  // Envoy separates property path segments with NUL only; a dotted name is one segment.
  const parts = path.split('\0');
  if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** A JSON value as Envoy serializes the CEL value of a google.protobuf.Value/Struct field. */
export function encodeJsonAsCel(v: JsonValue): Uint8Array {
  if (v === null) return new Uint8Array();
  if (typeof v === 'string') return enc.encode(v);
  if (typeof v === 'boolean') return Uint8Array.of(v ? 1 : 0);
  if (typeof v === 'number') {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return b;
  }
  if (Array.isArray(v)) return serializePairs(v.map((x) => [encodeJsonAsCel(x), new Uint8Array()]));
  return serializePairs(Object.entries(v).map(([k, x]) => [k, encodeJsonAsCel(x)]));
}

/** Properties the VM itself answers, in the host's own names (any context, root included). */
function vmProperty(vm: VmAbi, segments: string[]): Uint8Array | undefined {
  const h = vm.host;
  switch (segments[0]) {
    case 'plugin_name':
      return segments.length === 1 ? enc.encode(vm.name) : undefined;
    case 'plugin_root_id':
      return segments.length === 1 ? enc.encode(vm.rootIdName) : undefined;
    case 'plugin_vm_id':
      return segments.length === 1 ? enc.encode(vm.vmId) : undefined;
    case 'node': {
      if (segments.length === 1) return encodeNode({ id: h.nodeId, cluster: h.nodeCluster, metadata: h.nodeMetadata });
      if (segments[1] === 'id' && segments.length === 2) return enc.encode(h.nodeId);
      if (segments[1] === 'cluster' && segments.length === 2) return enc.encode(h.nodeCluster);
      if (segments[1] === 'metadata') {
        let v: JsonValue = h.nodeMetadata;
        for (const s of segments.slice(2)) {
          if (v && typeof v === 'object' && !Array.isArray(v) && s in v) v = v[s];
          else if (Array.isArray(v) && /^\d+$/.test(s) && Number(s) < v.length) v = v[Number(s)];
          else return undefined;
        }
        return encodeJsonAsCel(v);
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** A property as the effective context sees it. */
export function getProperty(vm: VmAbi, path: string[], canonical = canonicalPath(vm.host.flavour, path)): Uint8Array | undefined {
  const ctx = vm.ctx();
  // The flavour decides which names exist; the rest works on the host's own names.
  const segments = canonical;
  if (segments === undefined) return path.length === 1 ? ctx.stream?.filterState.get(`wasm.${path[0]}`) : undefined;
  return vmProperty(vm, segments) ?? ctx.stream?.getProperty(segments);
}

/** Paths a VM has asked for, split and in the host's names: a plugin asks for the same few. */
const PATH_CACHE_MAX = 512;
interface ParsedPath { path: string[]; canonical: string[] | undefined }

export function propertyCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  const parsed = new Map<string, ParsedPath>();
  const parse = (raw: string): ParsedPath => {
    let p = parsed.get(raw);
    if (p === undefined) {
      const path = splitPath(raw);
      p = { path, canonical: canonicalPath(vm.host.flavour, path) };
      if (parsed.size < PATH_CACHE_MAX) parsed.set(raw, p);
    }
    return p;
  };
  return {
    proxy_get_property: g((pp: number, ps: number, ptrPtr: number, sizePtr: number) => {
      const p = parse(m().string(pp, ps));
      const v = getProperty(vm, p.path, p.canonical);
      if (v === undefined) return Status.NotFound;
      m().copyOut(v, ptrPtr, sizePtr);
      return Status.Ok;
    }),
    proxy_set_property: g((pp: number, ps: number, vp: number, vs: number) => {
      const path = m().string(pp, ps);
      const value = m().bytes(vp, vs);
      const s = vm.ctx().stream;
      if (!s) return Status.NotFound;
      return s.setProperty(path, value);
    }),
  };
}
