// The small public API over the raw ABI: logging, time, ticks, buffers, header maps,
// properties, outgoing http calls and metrics. Plugin code uses only this and context.ts.
import * as host from "./imports";
import { Status, LogLevel, MetricType } from "./types";
import { returnDataPtr, returnSizePtr, takeReturnedBuffer } from "./memory";
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

export function getHeaderPairs(mapType: u32): HeaderPair[] {
  const st = host.proxy_get_header_map_pairs(mapType, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return new Array<HeaderPair>();
  return decodePairs(takeReturnedBuffer());
}

export function getHeader(mapType: u32, name: string): string | null {
  const key = String.UTF8.encode(name);
  const st = host.proxy_get_header_map_value(mapType, changetype<usize>(key), <usize>key.byteLength, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return null;
  const buf = takeReturnedBuffer();
  return String.UTF8.decode(buf);
}

function encodePath(path: string[]): ArrayBuffer {
  // Property paths travel as their segments separated by NUL bytes.
  return String.UTF8.encode(path.join("\0"));
}

/** Raw bytes of a property as the host serializes it, or null when it is absent. */
export function getProperty(path: string[]): ArrayBuffer | null {
  const p = encodePath(path);
  const st = host.proxy_get_property(changetype<usize>(p), <usize>p.byteLength, returnDataPtr(), returnSizePtr());
  if (st != Status.Ok) return null;
  return takeReturnedBuffer();
}

export function setProperty(path: string[], value: ArrayBuffer): bool {
  const p = encodePath(path);
  return host.proxy_set_property(changetype<usize>(p), <usize>p.byteLength, changetype<usize>(value), <usize>value.byteLength) == Status.Ok;
}

/** A string property (strings and bytes are raw UTF-8), or null when absent or empty. */
export function getPropertyString(path: string[]): string | null {
  const b = getProperty(path);
  if (b === null || b.byteLength == 0) return null;
  return String.UTF8.decode(b);
}

/** An int64/uint64 property (8 bytes little-endian), or `fallback` when absent or malformed. */
export function getPropertyInt(path: string[], fallback: i64): i64 {
  const b = getProperty(path);
  if (b === null || b.byteLength != 8) return fallback;
  return load<i64>(changetype<usize>(b));
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
