// The small public API over the raw ABI: logging, time, ticks, buffers, header maps,
// properties, outgoing http calls and metrics. Plugin code uses only this and context.ts.
import { decodeUtf8 } from "./utf8";
import * as host from "./imports";
import { Status, LogLevel, MetricType } from "./types";
import { returnDataPtr, returnSizePtr, returnedPtr, returnedSize, takeReturnedBuffer, dropReturnedBuffer } from "./memory";
import { HeaderPair, decodePairs, encodePairs } from "./pairs";

export { HeaderPair } from "./pairs";

const SCRATCH: usize = memory.data(8, 8);

let cachedLogLevel: i32 = -1;

/** Host log level, asked once per VM so debug lines cost nothing when they are off. */
export function logLevel(): u32 {
  if (cachedLogLevel < 0) {
    store<u32>(SCRATCH, LogLevel.Info);
    if (host.proxy_get_log_level(SCRATCH) == Status.Ok) cachedLogLevel = <i32>load<u32>(SCRATCH);
    else cachedLogLevel = <i32>LogLevel.Info;
  }
  return <u32>cachedLogLevel;
}

export function log(level: u32, message: string): void {
  if (level < logLevel()) return;
  const bytes = String.UTF8.encode(message);
  host.proxy_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }

/** Host wall-clock time in nanoseconds since the Unix epoch. */
export function nowNanos(): u64 {
  store<u64>(SCRATCH, 0);
  host.proxy_get_current_time_nanoseconds(SCRATCH);
  return load<u64>(SCRATCH);
}

export function nowMillis(): i64 {
  return <i64>(nowNanos() / 1_000_000);
}

export function setTickPeriod(ms: u32): void {
  host.proxy_set_tick_period_milliseconds(ms);
}

/** Up to maxSize bytes of a buffer from `start`, or null when the buffer is not available. */
export function getBufferBytes(bufferType: u32, start: u32, maxSize: u32): ArrayBuffer | null {
  const st = host.proxy_get_buffer_bytes(bufferType, start, maxSize, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return null;
  return takeReturnedBuffer();
}

/**
 * Reads up to maxSize bytes of a buffer from `start` without copying them: returns their size,
 * or -1 when the buffer is not available. The bytes are at returnedPtr() (read it before the
 * next host call that returns data) until the caller hands that address to releaseBytes().
 */
export function readBufferBytes(bufferType: u32, start: u32, maxSize: u32): i32 {
  const st = host.proxy_get_buffer_bytes(bufferType, start, maxSize, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return -1;
  return returnedPtr() == 0 ? 0 : returnedSize();
}

export { returnedPtr } from "./memory";

/** Frees a block read with readBufferBytes (its returnedPtr()). */
export function releaseBytes(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** The returned block as a string, freeing it; null when it is empty. */
function takeReturnedString(emptyIsNull: bool): string | null {
  const ptr = returnedPtr();
  const size = returnedSize();
  if (ptr == 0) return emptyIsNull ? null : "";
  const s = size > 0 ? decodeUtf8(ptr, <usize>size) : "";
  heap.free(ptr);
  if (emptyIsNull && size == 0) return null;
  return s;
}

export function getHeaderPairs(mapType: u32): HeaderPair[] {
  const st = host.proxy_get_header_map_pairs(mapType, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return new Array<HeaderPair>();
  return decodePairs(takeReturnedBuffer());
}

export function getHeader(mapType: u32, name: string): string | null {
  return getHeaderKey(mapType, headerKey(name));
}

/**
 * The values of several headers from one read of the whole map: for each name in `keys` (from
 * headerKey, lower case as the host keeps them) the value of its first entry, as getHeaderKey
 * gives it, or null when absent or the map is not available.
 */
export function getHeaderValues(mapType: u32, keys: StaticArray<ArrayBuffer>): StaticArray<string | null> {
  const n = keys.length;
  const out = new StaticArray<string | null>(n);
  const st = host.proxy_get_header_map_pairs(mapType, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return out;
  const base = returnedPtr();
  if (base == 0) return out;
  const len = <usize>returnedSize();
  const count = len < 4 ? 0 : <i32>load<u32>(base);
  if (count > 0 && <u64>4 + <u64>count * 8 <= <u64>len) {
    let data = base + 4 + <usize>count * 8;
    const end = base + len;
    let left = n;
    for (let i = 0; i < count && left > 0; i++) {
      const kLen = <usize>load<u32>(base + 4 + <usize>i * 8);
      const vLen = <usize>load<u32>(base + 8 + <usize>i * 8);
      if (data + kLen + 1 + vLen + 1 > end) break;
      const vPtr = data + kLen + 1;
      for (let j = 0; j < n; j++) {
        const k = unchecked(keys[j]);
        if (<usize>k.byteLength == kLen && unchecked(out[j]) === null && memory.compare(changetype<usize>(k), data, kLen) == 0) {
          unchecked(out[j] = decodeUtf8(vPtr, vLen));
          left--;
          break;
        }
      }
      data = vPtr + vLen + 1;
    }
  }
  heap.free(base);
  return out;
}

/** A header name encoded once, for getHeaderKey. */
export function headerKey(name: string): ArrayBuffer {
  return String.UTF8.encode(name);
}

/** The value of the header `key` (from headerKey), or null when absent. */
export function getHeaderKey(mapType: u32, key: ArrayBuffer): string | null {
  const st = host.proxy_get_header_map_value(mapType, changetype<usize>(key), <usize>key.byteLength, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return null;
  return takeReturnedString(false);
}

function encodePath(path: string[]): ArrayBuffer {
  // Property paths travel as their segments separated by NUL bytes.
  return String.UTF8.encode(path.join("\0"));
}

/** A property path encoded once, for the *At property readers. */
export function propertyPath(path: string[]): ArrayBuffer {
  return encodePath(path);
}

/** Asks for a property; true when the host returned it (then it is the returned block). */
function readProperty(p: ArrayBuffer): bool {
  return host.proxy_get_property(changetype<usize>(p), <usize>p.byteLength, returnDataPtr(), returnSizePtr()) == Status.Ok;
}

/** Raw bytes of a property as the host serializes it, or null when it is absent. */
export function getProperty(path: string[]): ArrayBuffer | null {
  return getPropertyAt(encodePath(path));
}

/** getProperty for a path from propertyPath. */
export function getPropertyAt(p: ArrayBuffer): ArrayBuffer | null {
  if (!readProperty(p)) return null;
  return takeReturnedBuffer();
}

export function setProperty(path: string[], value: ArrayBuffer): bool {
  const p = encodePath(path);
  return host.proxy_set_property(changetype<usize>(p), <usize>p.byteLength, changetype<usize>(value), <usize>value.byteLength) == Status.Ok;
}

/** A string property (strings and bytes are raw UTF-8), or null when absent or empty. */
export function getPropertyString(path: string[]): string | null {
  return getPropertyStringAt(encodePath(path));
}

/** getPropertyString for a path from propertyPath. */
export function getPropertyStringAt(p: ArrayBuffer): string | null {
  if (!readProperty(p)) return null;
  return takeReturnedString(true);
}

/** An int64/uint64 property (8 bytes little-endian), or `fallback` when absent or malformed. */
export function getPropertyInt(path: string[], fallback: i64): i64 {
  return getPropertyIntAt(encodePath(path), fallback);
}

/** getPropertyInt for a path from propertyPath. */
export function getPropertyIntAt(p: ArrayBuffer, fallback: i64): i64 {
  if (!readProperty(p)) return fallback;
  const ptr = returnedPtr();
  if (ptr == 0) return fallback;
  const v = returnedSize() == 8 ? load<i64>(ptr) : fallback;
  heap.free(ptr);
  return v;
}

export class HttpCallResult {
  constructor(public status: u32, public token: u32) {}
}

/**
 * Dispatches an http call to a named cluster from the current effective context. The answer
 * arrives in that context's onHttpCallResponse with the returned token.
 */
export function httpCall(cluster: string, headers: HeaderPair[], body: ArrayBuffer, timeoutMs: u32): HttpCallResult {
  const up = String.UTF8.encode(cluster);
  const hs = encodePairs(headers);
  const tr = encodePairs(new Array<HeaderPair>());
  store<u32>(SCRATCH, 0);
  const st = host.proxy_http_call(
    changetype<usize>(up), <usize>up.byteLength,
    changetype<usize>(hs), <usize>hs.byteLength,
    changetype<usize>(body), <usize>body.byteLength,
    changetype<usize>(tr), <usize>tr.byteLength,
    timeoutMs, SCRATCH,
  );
  return new HttpCallResult(st, load<u32>(SCRATCH));
}

/** Tells the host that a root context which answered proxy_on_done with false is done. */
export function done(): bool {
  return host.proxy_done() == Status.Ok;
}

export function setEffectiveContext(contextId: u32): bool {
  return host.proxy_set_effective_context(contextId) == Status.Ok;
}

/** Defines a metric; returns its id, or 0xffffffff when the host refused it. */
export function defineMetric(metricType: u32, name: string): u32 {
  const n = String.UTF8.encode(name);
  store<u32>(SCRATCH, 0);
  const st = host.proxy_define_metric(metricType, changetype<usize>(n), <usize>n.byteLength, SCRATCH);
  if (st != Status.Ok) return 0xffffffff;
  return load<u32>(SCRATCH);
}

export function defineCounter(name: string): u32 { return defineMetric(MetricType.Counter, name); }
export function defineGauge(name: string): u32 { return defineMetric(MetricType.Gauge, name); }

export function incrementMetric(id: u32, delta: i64): void {
  if (id != 0xffffffff && delta != 0) host.proxy_increment_metric(id, delta);
}

export function recordMetric(id: u32, value: u64): void {
  if (id != 0xffffffff) host.proxy_record_metric(id, value);
}
