// Property values and their encodings as Envoy's serializeValue() writes them
// (source/extensions/common/wasm/context.cc): strings and bytes raw, int64/uint64/double as
// 8 little-endian bytes, bool as one byte, timestamps and durations as int64 nanoseconds (or
// the raw absl bytes, per flavour: see tables.ts), maps as serialized pairs, messages as
// serialized protobuf.

import { serializePairs } from '../header-map.js';
import { type Flavour, type PropertyType, propertyTypes } from './tables.js';

export type { PropertyType };

/** A property value with an explicit Envoy type. */
export interface TypedValue {
  type: PropertyType;
  value: string | Uint8Array | number | bigint | boolean;
}

/** What a test or the gateway may give as a property value. */
export type PropertyInput = string | Uint8Array | number | bigint | boolean | TypedValue;

/** Types of the well-known attributes of the default flavour (Higress); see tables.ts. */
export const KNOWN_PROPERTY_TYPES: Record<string, PropertyType> = propertyTypes('higress');

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
    case 'absl_time':
    case 'absl_duration':
      return abslBytes(typeof v === 'bigint' ? v : BigInt(Math.trunc(Number(v))));
  }
}

/**
 * absl::Duration's in-memory representation (absl/time/time.h; absl::Time holds one measured
 * from the Unix epoch): int64 whole seconds, uint32 quarter-nanosecond ticks in [0, 4e9), and
 * 4 bytes of padding, little-endian as on x86-64 and arm64.
 */
function abslBytes(ns: bigint): Uint8Array {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  let sec = ns / 1_000_000_000n;
  let rem = ns % 1_000_000_000n;
  if (rem < 0n) {
    sec -= 1n;
    rem += 1_000_000_000n;
  }
  dv.setBigInt64(0, sec, true);
  dv.setUint32(8, Number(rem) * 4, true);
  return b;
}

function isTyped(v: PropertyInput): v is TypedValue {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && 'type' in v;
}

const TYPES: Record<Flavour, Record<string, PropertyType>> = { higress: KNOWN_PROPERTY_TYPES, upstream: propertyTypes('upstream') };

/** Encodes a property given by dotted path the way the flavour's Envoy would for that attribute. */
export function encodeProperty(path: string, v: PropertyInput, flavour: Flavour = 'higress'): Uint8Array {
  if (isTyped(v)) return encodeTyped(v);
  const known = TYPES[flavour][path];
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
