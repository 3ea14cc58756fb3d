// A tiny proxy-wasm ABI 0.2.1 binding for the host's conformance modules (AssemblyScript).

@external("env", "proxy_log") declare function proxy_log(level: i32, ptr: usize, len: usize): i32;
@external("env", "proxy_get_header_map_value") declare function proxy_get_header_map_value(t: i32, kp: usize, ks: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_add_header_map_value") declare function proxy_add_header_map_value(t: i32, kp: usize, ks: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_replace_header_map_value") declare function proxy_replace_header_map_value(t: i32, kp: usize, ks: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_remove_header_map_value") declare function proxy_remove_header_map_value(t: i32, kp: usize, ks: usize): i32;
@external("env", "proxy_get_header_map_pairs") declare function proxy_get_header_map_pairs(t: i32, rp: usize, rs: usize): i32;
@external("env", "proxy_set_header_map_pairs") declare function proxy_set_header_map_pairs(t: i32, p: usize, s: usize): i32;
@external("env", "proxy_get_header_map_size") declare function proxy_get_header_map_size(t: i32, rs: usize): i32;
@external("env", "proxy_get_buffer_bytes") declare function proxy_get_buffer_bytes(t: i32, start: usize, max: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_set_buffer_bytes") declare function proxy_set_buffer_bytes(t: i32, start: usize, size: usize, p: usize, s: usize): i32;
@external("env", "proxy_get_buffer_status") declare function proxy_get_buffer_status(t: i32, rs: usize, rf: usize): i32;
@external("env", "proxy_get_property") declare function proxy_get_property(pp: usize, ps: usize, rp: usize, rs: usize): i32;
@external("env", "proxy_set_property") declare function proxy_set_property(pp: usize, ps: usize, vp: usize, vs: usize): i32;
@external("env", "proxy_send_local_response") declare function proxy_send_local_response(code: u32, dp: usize, ds: usize, bp: usize, bs: usize, hp: usize, hs: usize, grpc: i32): i32;
@external("env", "proxy_http_call") declare function proxy_http_call(up: usize, us: usize, hp: usize, hs: usize, bp: usize, bs: usize, tp: usize, ts: usize, timeout: u32, rt: usize): i32;
@external("env", "proxy_continue_stream") declare function proxy_continue_stream(t: i32): i32;
@external("env", "proxy_set_effective_context") declare function proxy_set_effective_context(id: u32): i32;
@external("env", "proxy_set_tick_period_milliseconds") declare function proxy_set_tick_period_milliseconds(ms: u32): i32;
@external("env", "proxy_get_current_time_nanoseconds") declare function proxy_get_current_time_nanoseconds(r: usize): i32;
@external("env", "proxy_define_metric") declare function proxy_define_metric(t: i32, np: usize, ns: usize, r: usize): i32;
@external("env", "proxy_increment_metric") declare function proxy_increment_metric(id: u32, d: i64): i32;
@external("env", "proxy_record_metric") declare function proxy_record_metric(id: u32, v: u64): i32;
@external("env", "proxy_get_metric") declare function proxy_get_metric(id: u32, r: usize): i32;
@external("env", "proxy_set_shared_data") declare function proxy_set_shared_data(kp: usize, ks: usize, vp: usize, vs: usize, cas: u32): i32;
@external("env", "proxy_get_shared_data") declare function proxy_get_shared_data(kp: usize, ks: usize, rp: usize, rs: usize, rc: usize): i32;
@external("env", "proxy_register_shared_queue") declare function proxy_register_shared_queue(np: usize, ns: usize, r: usize): i32;
@external("env", "proxy_enqueue_shared_queue") declare function proxy_enqueue_shared_queue(id: u32, vp: usize, vs: usize): i32;
@external("env", "proxy_dequeue_shared_queue") declare function proxy_dequeue_shared_queue(id: u32, rp: usize, rs: usize): i32;
@external("env", "proxy_done") declare function proxy_done(): i32;
@external("env", "proxy_grpc_call") declare function proxy_grpc_call(a: usize, b: usize, c: usize, d: usize, e: usize, f: usize, g: usize, h: usize, i: usize, j: usize, k: u32, r: usize): i32;

export const REQUEST_HEADERS: i32 = 0;
export const RESPONSE_HEADERS: i32 = 2;
export const CALL_RESPONSE_HEADERS: i32 = 6;

const scratch = memory.data(16);

function utf8(s: string): ArrayBuffer {
  return String.UTF8.encode(s);
}

export function log(level: i32, msg: string): void {
  const b = utf8(msg);
  proxy_log(level, changetype<usize>(b), b.byteLength);
}

function takeBytes(): ArrayBuffer {
  const p = load<usize>(scratch);
  const n = load<usize>(scratch + 4);
  const out = new ArrayBuffer(<i32>n);
  memory.copy(changetype<usize>(out), p, n);
  return out;
}

export function getHeader(map: i32, key: string): string | null {
  const k = utf8(key);
  if (proxy_get_header_map_value(map, changetype<usize>(k), k.byteLength, scratch, scratch + 4) != 0) return null;
  return String.UTF8.decode(takeBytes());
}

/** The status of reading a header (0 found, 1 NotFound, 2 BadArgument: the map is not available). */
export function headerStatus(map: i32, key: string): i32 {
  const k = utf8(key);
  return proxy_get_header_map_value(map, changetype<usize>(k), k.byteLength, scratch, scratch + 4);
}

export function addHeader(map: i32, key: string, value: string): i32 {
  const k = utf8(key);
  const v = utf8(value);
  return proxy_add_header_map_value(map, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
}

export function replaceHeader(map: i32, key: string, value: string): i32 {
  const k = utf8(key);
  const v = utf8(value);
  return proxy_replace_header_map_value(map, changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength);
}

export function removeHeader(map: i32, key: string): i32 {
  const k = utf8(key);
  return proxy_remove_header_map_value(map, changetype<usize>(k), k.byteLength);
}

export function headerMapSize(map: i32): i32 {
  proxy_get_header_map_size(map, scratch);
  return load<i32>(scratch);
}

export function headerPairsRaw(map: i32): ArrayBuffer {
  proxy_get_header_map_pairs(map, scratch, scratch + 4);
  return takeBytes();
}

export function setHeaderPairsRaw(map: i32, b: ArrayBuffer): i32 {
  return proxy_set_header_map_pairs(map, changetype<usize>(b), b.byteLength);
}

export function getBuffer(t: i32, start: i32, max: i32): ArrayBuffer | null {
  if (proxy_get_buffer_bytes(t, start, max, scratch, scratch + 4) != 0) return null;
  return takeBytes();
}

export function bufferSize(t: i32): i32 {
  if (proxy_get_buffer_status(t, scratch, scratch + 4) != 0) return -1;
  return load<i32>(scratch);
}

export function setBuffer(t: i32, start: i32, size: i32, data: ArrayBuffer): i32 {
  return proxy_set_buffer_bytes(t, start, size, changetype<usize>(data), data.byteLength);
}

/** Property path segments joined with NUL, as Envoy expects. */
export function getProperty(path: string): ArrayBuffer | null {
  const p = utf8(path.replaceAll(".", "\0"));
  if (proxy_get_property(changetype<usize>(p), p.byteLength, scratch, scratch + 4) != 0) return null;
  return takeBytes();
}

/** Path given with its NUL separators already in place. */
export function getPropertyExact(path: string): ArrayBuffer | null {
  const p = utf8(path);
  if (proxy_get_property(changetype<usize>(p), p.byteLength, scratch, scratch + 4) != 0) return null;
  return takeBytes();
}

export function getPropertyRaw(path: string): i32 {
  const p = utf8(path);
  return proxy_get_property(changetype<usize>(p), p.byteLength, scratch, scratch + 4);
}

export function setProperty(path: string, value: string): i32 {
  const p = utf8(path);
  const v = utf8(value);
  return proxy_set_property(changetype<usize>(p), p.byteLength, changetype<usize>(v), v.byteLength);
}

export function serializePairs(keys: string[], values: string[]): ArrayBuffer {
  const ks = new Array<ArrayBuffer>(keys.length);
  const vs = new Array<ArrayBuffer>(keys.length);
  let size = 4;
  for (let i = 0; i < keys.length; i++) {
    ks[i] = utf8(keys[i]);
    vs[i] = utf8(values[i]);
    size += 8 + ks[i].byteLength + vs[i].byteLength + 2;
  }
  const out = new ArrayBuffer(size);
  const base = changetype<usize>(out);
  store<u32>(base, keys.length);
  let p = base + 4;
  for (let i = 0; i < keys.length; i++) {
    store<u32>(p, ks[i].byteLength);
    store<u32>(p + 4, vs[i].byteLength);
    p += 8;
  }
  for (let i = 0; i < keys.length; i++) {
    memory.copy(p, changetype<usize>(ks[i]), ks[i].byteLength);
    p += ks[i].byteLength;
    store<u8>(p, 0);
    p += 1;
    memory.copy(p, changetype<usize>(vs[i]), vs[i].byteLength);
    p += vs[i].byteLength;
    store<u8>(p, 0);
    p += 1;
  }
  return out;
}

export function sendLocalResponse(code: u32, details: string, body: string, hk: string[], hv: string[]): i32 {
  const d = utf8(details);
  const b = utf8(body);
  const h = serializePairs(hk, hv);
  return proxy_send_local_response(code, changetype<usize>(d), d.byteLength, changetype<usize>(b), b.byteLength, changetype<usize>(h), h.byteLength, -1);
}

/** Returns the call token, or -(status) on failure. */
export function httpCall(cluster: string, hk: string[], hv: string[], body: string, timeout: u32): i64 {
  const c = utf8(cluster);
  const h = serializePairs(hk, hv);
  const b = utf8(body);
  const r = proxy_http_call(changetype<usize>(c), c.byteLength, changetype<usize>(h), h.byteLength, changetype<usize>(b), b.byteLength, 0, 0, timeout, scratch);
  if (r != 0) return -(<i64>r);
  return <i64>load<u32>(scratch);
}

export function done(): i32 {
  return proxy_done();
}
export function continueStream(t: i32): i32 {
  return proxy_continue_stream(t);
}
export function setEffectiveContext(id: u32): i32 {
  return proxy_set_effective_context(id);
}
export function setTickPeriod(ms: u32): i32 {
  return proxy_set_tick_period_milliseconds(ms);
}
export function nowNanos(): u64 {
  proxy_get_current_time_nanoseconds(scratch);
  return load<u64>(scratch);
}
export function defineMetric(t: i32, name: string): u32 {
  const n = utf8(name);
  proxy_define_metric(t, changetype<usize>(n), n.byteLength, scratch);
  return load<u32>(scratch);
}
export function incrementMetric(id: u32, d: i64): i32 {
  return proxy_increment_metric(id, d);
}
export function recordMetric(id: u32, v: u64): i32 {
  return proxy_record_metric(id, v);
}
export function getMetric(id: u32): i64 {
  const r = proxy_get_metric(id, scratch);
  if (r != 0) return -(<i64>r);
  return load<i64>(scratch);
}
export function setShared(key: string, value: string, cas: u32): i32 {
  const k = utf8(key);
  const v = utf8(value);
  return proxy_set_shared_data(changetype<usize>(k), k.byteLength, changetype<usize>(v), v.byteLength, cas);
}
export function getShared(key: string): string | null {
  const k = utf8(key);
  if (proxy_get_shared_data(changetype<usize>(k), k.byteLength, scratch, scratch + 4, scratch + 8) != 0) return null;
  return String.UTF8.decode(takeBytes()) + "|cas=" + load<u32>(scratch + 8).toString();
}
export function registerQueue(name: string): u32 {
  const n = utf8(name);
  proxy_register_shared_queue(changetype<usize>(n), n.byteLength, scratch);
  return load<u32>(scratch);
}
export function enqueue(id: u32, v: string): i32 {
  const b = utf8(v);
  return proxy_enqueue_shared_queue(id, changetype<usize>(b), b.byteLength);
}
export function dequeue(id: u32): string | null {
  if (proxy_dequeue_shared_queue(id, scratch, scratch + 4) != 0) return null;
  return String.UTF8.decode(takeBytes());
}
export function grpcCallStatus(): i32 {
  return proxy_grpc_call(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, scratch);
}

export function hex(b: ArrayBuffer): string {
  let s = "";
  const u = Uint8Array.wrap(b);
  for (let i = 0; i < u.length; i++) {
    const x = <i32>u[i];
    s += (x < 16 ? "0" : "") + x.toString(16);
  }
  return s;
}

export function str(b: ArrayBuffer | null): string {
  return b === null ? "<null>" : String.UTF8.decode(b);
}
