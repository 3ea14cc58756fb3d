// Property values and their encodings as Envoy's serializeValue() writes them
// (source/extensions/common/wasm/context.cc): strings and bytes raw, int64/uint64/double as
// 8 little-endian bytes, bool as one byte, timestamps and durations as int64 nanoseconds,
// maps as serialized pairs, messages as serialized protobuf.

import { serializePairs } from './header-map.js';

export type PropertyType = 'string' | 'bytes' | 'int64' | 'uint64' | 'double' | 'bool' | 'timestamp' | 'duration';

/** A property value with an explicit Envoy type. */
export interface TypedValue {
  type: PropertyType;
  value: string | Uint8Array | number | bigint | boolean;
}

/** What a test or the gateway may give as a property value. */
export type PropertyInput = string | Uint8Array | number | bigint | boolean | TypedValue;

/** Types of Envoy's well-known attributes, so plain JS values encode the way Envoy encodes them. */
export const KNOWN_PROPERTY_TYPES: Record<string, PropertyType> = {
  'request.path': 'string',
  'request.url_path': 'string',
  'request.host': 'string',
  'request.scheme': 'string',
  'request.method': 'string',
  'request.referer': 'string',
  'request.useragent': 'string',
  'request.time': 'timestamp',
  'request.id': 'string',
  'request.protocol': 'string',
  'request.query': 'string',
  'request.duration': 'duration',
  'request.size': 'int64',
  'request.total_size': 'int64',
  'response.code': 'int64',
  'response.code_details': 'string',
  'response.flags': 'uint64',
  'response.grpc_status': 'int64',
  'response.size': 'int64',
  'response.total_size': 'int64',
  'response.backend_latency': 'duration',
  'source.address': 'string',
  'source.port': 'int64',
  'destination.address': 'string',
  'destination.port': 'int64',
  'connection.id': 'uint64',
  'connection.mtls': 'bool',
  'connection.requested_server_name': 'string',
  'connection.tls_version': 'string',
  'connection.subject_local_certificate': 'string',
  'connection.subject_peer_certificate': 'string',
  'connection.dns_san_local_certificate': 'string',
  'connection.dns_san_peer_certificate': 'string',
  'connection.uri_san_local_certificate': 'string',
  'connection.uri_san_peer_certificate': 'string',
  'connection.sha256_peer_certificate_digest': 'string',
  'connection.termination_details': 'string',
  'connection.transport_failure_reason': 'string',
  'upstream.address': 'string',
  'upstream.port': 'int64',
  'upstream.tls_version': 'string',
  'upstream.subject_local_certificate': 'string',
  'upstream.subject_peer_certificate': 'string',
  'upstream.dns_san_local_certificate': 'string',
  'upstream.dns_san_peer_certificate': 'string',
  'upstream.uri_san_local_certificate': 'string',
  'upstream.uri_san_peer_certificate': 'string',
  'upstream.sha256_peer_certificate_digest': 'string',
  'upstream.local_address': 'string',
  'upstream.transport_failure_reason': 'string',
  'upstream.request_attempt_count': 'uint64',
  connection_id: 'uint64',
  route_name: 'string',
  cluster_name: 'string',
  plugin_name: 'string',
  plugin_root_id: 'string',
  plugin_vm_id: 'string',
  listener_direction: 'int64',
};

const enc = new TextEncoder();

function int64Bytes(v: number | bigint, unsigned: boolean): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  if (typeof v === 'number' && Number.isSafeInteger(v)) {
    // Two 32-bit halves (two's complement for negatives): no BigInt on the per-request path.
    dv.setUint32(0, v >>> 0, true);
    dv.setInt32(4, Math.floor(v / 0x1_0000_0000), true);
    return b;
  }
  const big = typeof v === 'bigint' ? v : BigInt(Math.trunc(v));
  if (unsigned) dv.setBigUint64(0, BigInt.asUintN(64, big), true);
  else dv.setBigInt64(0, BigInt.asIntN(64, big), true);
  return b;
}

export function encodeTyped(t: TypedValue): Uint8Array {
  const v = t.value;
  switch (t.type) {
    case 'string':
      return typeof v === 'string' ? enc.encode(v) : v instanceof Uint8Array ? v : enc.encode(String(v));
    case 'bytes':
      return v instanceof Uint8Array ? v : enc.encode(String(v));
    case 'int64':
    case 'timestamp':
    case 'duration':
      return int64Bytes(typeof v === 'bigint' || typeof v === 'number' ? v : BigInt(String(v)), false);
    case 'uint64':
      return int64Bytes(typeof v === 'bigint' || typeof v === 'number' ? v : BigInt(String(v)), true);
    case 'double': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, Number(v), true);
      return b;
    }
    case 'bool':
      return Uint8Array.of(v === true || v === 1 || v === 'true' ? 1 : 0);
  }
}

function isTyped(v: PropertyInput): v is TypedValue {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'type' in v;
}

/** Encodes a property given by dotted path the way Envoy would for that attribute. */
export function encodeProperty(path: string, v: PropertyInput): Uint8Array {
  if (isTyped(v)) return encodeTyped(v);
  const known = KNOWN_PROPERTY_TYPES[path];
  if (known) return encodeTyped({ type: known, value: v });
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return enc.encode(v);
  if (typeof v === 'boolean') return encodeTyped({ type: 'bool', value: v });
  if (typeof v === 'bigint') return encodeTyped({ type: 'int64', value: v });
  return encodeTyped({ type: Number.isInteger(v) ? 'int64' : 'double', value: v });
}

/** A map-valued property (e.g. `request.headers`) serialized as Envoy serializes CEL maps. */
export function encodeMap(pairs: Array<[string, Uint8Array | string]>): Uint8Array {
  return serializePairs(pairs);
}
