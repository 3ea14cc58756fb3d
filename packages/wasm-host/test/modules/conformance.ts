// Conformance module: request header `x-op` (comma separated) selects what it exercises.
// Plugin configuration: "name=a;cluster=c;tick=1000;ops=a|b" (ops replaces the header;
// "reject" makes on_configure fail).
import {
  addHeader, bufferSize, done, continueStream, defineMetric, dequeue, enqueue, getBuffer, getHeader, getMetric,
  getProperty, getPropertyExact, headerStatus, getPropertyRaw, getShared, grpcCallStatus, headerMapSize, headerPairsRaw, hex, httpCall,
  incrementMetric, log, nowNanos, recordMetric, registerQueue, removeHeader, replaceHeader, sendLocalResponse,
  setBuffer, setEffectiveContext, setHeaderPairsRaw, setProperty, setShared, setTickPeriod, str,
  REQUEST_HEADERS, RESPONSE_HEADERS, CALL_RESPONSE_HEADERS,
} from "./lib/abi";

export function proxy_abi_version_0_2_1(): void {}
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

let name = "conf";
let configOps = "";
let flushOnDone = false;
let flushToken: i64 = -1;
let cluster = "";
let rootId: u32 = 0;
let requests: u32 = 0;
let inflight: u32 = 0;
let bodyBytes: u32 = 0;
let ticks: u32 = 0;
let queueId: u32 = 0;
let seen: u32 = 0;
const ops = new Map<u32, string>();
const callCtx = new Map<u32, u32>();
const callStatus = new Map<u32, string>();

function has(ctx: u32, op: string): bool {
  if (!ops.has(ctx)) return false;
  const list = ops.get(ctx).split(",");
  return list.includes(op);
}

export function proxy_on_context_create(id: u32, parent: u32): void {
  if (parent == 0) rootId = id;
}

export function proxy_on_vm_start(id: u32, size: u32): bool {
  return true;
}

export function proxy_on_configure(id: u32, size: u32): bool {
  const cfg = str(getBuffer(7, 0, size));
  log(2, "configured: " + cfg);
  const parts = cfg.split(";");
  for (let i = 0; i < parts.length; i++) {
    const kv = parts[i].split("=");
    if (kv[0] == "flush-on-done") flushOnDone = true;
    if (kv[0] == "reject") {
      log(4, "configuration rejected: " + cfg);
      return false;
    }
    if (kv.length < 2) continue;
    if (kv[0] == "name") name = kv[1];
    if (kv[0] == "cluster") cluster = kv[1];
    if (kv[0] == "ops") configOps = kv[1].replaceAll("|", ",");
    if (kv[0] == "tick") setTickPeriod(<u32>parseInt(kv[1]));
  }
  requests = defineMetric(0, "test_requests_total");
  inflight = defineMetric(1, "test_inflight");
  bodyBytes = defineMetric(2, "test_body_bytes");
  ticks = defineMetric(0, "test_ticks_total");
  queueId = registerQueue("q");
  return true;
}

export function proxy_on_tick(id: u32): void {
  incrementMetric(ticks, 1);
  log(2, "tick ctx=" + id.toString() + " now=" + nowNanos().toString());
}

export function proxy_on_queue_ready(id: u32, q: u32): void {
  const v = dequeue(q);
  log(2, "queue " + q.toString() + " item " + (v === null ? "<empty>" : v!));
}

export function proxy_on_request_headers(ctx: u32, n: u32, eos: bool): u32 {
  incrementMetric(requests, 1);
  incrementMetric(inflight, 1);
  const opHeader = getHeader(REQUEST_HEADERS, "x-op");
  const op = configOps != "" ? configOps : opHeader === null ? "" : opHeader!;
  ops.set(ctx, op);
  log(1, "request headers ctx=" + ctx.toString() + " n=" + n.toString() + " eos=" + (eos ? "1" : "0") + " op=" + op);
  if (has(ctx, "trap")) unreachable();
  if (has(ctx, "count")) {
    seen++;
    addHeader(REQUEST_HEADERS, "x-vm-seen", seen.toString());
    addHeader(REQUEST_HEADERS, "x-shared-count", getMetric(requests).toString());
    addHeader(REQUEST_HEADERS, "x-root", rootId.toString());
  }
  if (has(ctx, "log-props")) {
    const ph = getHeader(REQUEST_HEADERS, "x-props");
    const props = (ph === null ? "" : ph!).split(",");
    for (let i = 0; i < props.length; i++) {
      const v = getProperty(props[i]);
      log(2, "prop " + props[i] + "=" + (v === null ? "<missing>" : hex(v!)));
    }
  }
  if (has(ctx, "bad-req-header")) addHeader(REQUEST_HEADERS, "x-bad", "line\nbreak");
  if (has(ctx, "add-req")) {
    addHeader(REQUEST_HEADERS, "x-added-by", name);
    replaceHeader(REQUEST_HEADERS, "x-replace", "new");
    removeHeader(REQUEST_HEADERS, "x-remove");
    addHeader(REQUEST_HEADERS, "x-size-before", headerMapSize(REQUEST_HEADERS).toString());
  }
  if (has(ctx, "pairs")) {
    const raw = headerPairsRaw(REQUEST_HEADERS);
    log(2, "pairs " + hex(raw));
    setHeaderPairsRaw(REQUEST_HEADERS, raw);
  }
  if (has(ctx, "set-state")) {
    setProperty("ai_log", '{"model":"m1","from":"' + name + '"}');
  }
  if (has(ctx, "read-state")) {
    addHeader(REQUEST_HEADERS, "x-ai-log", str(getProperty("ai_log")));
    addHeader(REQUEST_HEADERS, "x-prefixed-status", getPropertyRaw("wasm.ai_log").toString());
    addHeader(REQUEST_HEADERS, "x-filter-state", str(getPropertyExact("filter_state\0wasm.ai_log")));
  }
  if (has(ctx, "shared")) {
    setShared("k", "v1", 0);
    const cur = getShared("k");
    addHeader(REQUEST_HEADERS, "x-shared", cur === null ? "<null>" : cur!);
    addHeader(REQUEST_HEADERS, "x-cas-status", setShared("k", "v2", 999999).toString());
  }
  if (has(ctx, "queue")) {
    enqueue(queueId, "item-" + ctx.toString());
  }
  if (has(ctx, "unimpl")) {
    addHeader(REQUEST_HEADERS, "x-grpc-status", grpcCallStatus().toString());
  }
  if (has(ctx, "metrics")) {
    addHeader(REQUEST_HEADERS, "x-requests", getMetric(requests).toString());
    addHeader(REQUEST_HEADERS, "x-counter-decrement", incrementMetric(requests, -1).toString());
    addHeader(REQUEST_HEADERS, "x-histogram-get", getMetric(bodyBytes).toString());
  }
  if (has(ctx, "root-call")) {
    setEffectiveContext(rootId);
    const t = httpCall(cluster, [":method", ":path", ":authority"], ["POST", "/log", "collector"], "from-root-" + ctx.toString(), 5000);
    setEffectiveContext(ctx);
    log(2, "root call token=" + t.toString());
  }
  if (has(ctx, "fire")) {
    const t = httpCall(cluster, [":method", ":path", ":authority"], ["GET", "/fire", "fire.local"], "", 5000);
    log(2, "stream call token=" + t.toString());
  }
  if (has(ctx, "local")) {
    sendLocalResponse(403, "denied_by_" + name, "denied by " + name, ["x-denied-by"], [name]);
    return 1;
  }
  if (has(ctx, "call")) {
    const t = httpCall(cluster, [":method", ":path", ":authority", "x-from"], ["POST", "/check", "check.local", name], "payload", 1000);
    if (t < 0) {
      log(4, "http call failed with status " + (-t).toString());
      addHeader(REQUEST_HEADERS, "x-call-dispatch", (-t).toString());
      return 0;
    }
    callCtx.set(<u32>t, ctx);
    return 1;
  }
  if (has(ctx, "bad-call")) {
    const t = httpCall(cluster, [":method", ":path"], ["GET", "/"], "", 1000);
    addHeader(REQUEST_HEADERS, "x-call-dispatch", (-t).toString());
  }
  if (has(ctx, "pause")) return 1;
  return 0;
}

export function proxy_on_request_body(ctx: u32, size: u32, eos: bool): u32 {
  const b = getBuffer(0, 0, size);
  log(2, "request body size=" + size.toString() + " eos=" + (eos ? "1" : "0") + " data=" + str(b));
  recordMetric(bodyBytes, size);
  if (has(ctx, "buffer-req")) {
    if (!eos) return 1;
    setBuffer(0, 0, size, String.UTF8.encode(str(b).toUpperCase()));
  }
  if (has(ctx, "append-req")) setBuffer(0, size, 0, String.UTF8.encode("+"));
  return 0;
}

export function proxy_on_request_trailers(ctx: u32, n: u32): u32 {
  log(2, "request trailers n=" + n.toString());
  return 0;
}

export function proxy_on_response_headers(ctx: u32, n: u32, eos: bool): u32 {
  addHeader(RESPONSE_HEADERS, "x-plugin", name);
  log(1, "response headers n=" + n.toString() + " eos=" + (eos ? "1" : "0") + " status=" + str(getProperty("response.code_details")));
  if (callStatus.has(ctx)) addHeader(RESPONSE_HEADERS, "x-call-status", callStatus.get(ctx));
  if (has(ctx, "bad-resp-header")) addHeader(RESPONSE_HEADERS, "x-bad", "line\nbreak");
  if (has(ctx, "resp-local")) {
    sendLocalResponse(502, "resp_local", "replaced", [], []);
    return 1;
  }
  return 0;
}

export function proxy_on_response_body(ctx: u32, size: u32, eos: bool): u32 {
  if (has(ctx, "late-maps")) {
    log(2, "late maps read-req=" + headerStatus(REQUEST_HEADERS, ":path").toString() + " read-resp=" + headerStatus(RESPONSE_HEADERS, ":status").toString() +
      " write-req=" + addHeader(REQUEST_HEADERS, "x-late", "1").toString() + " write-resp=" + addHeader(RESPONSE_HEADERS, "x-late", "1").toString());
  }
  const b = getBuffer(1, 0, size);
  log(2, "response body size=" + size.toString() + " eos=" + (eos ? "1" : "0") + " data=" + str(b));
  if (has(ctx, "buffer-resp")) {
    if (!eos) return 1;
    setBuffer(1, size, 0, String.UTF8.encode("!"));
  }
  return 0;
}

export function proxy_on_response_trailers(ctx: u32, n: u32): u32 {
  return 0;
}

export function proxy_on_http_call_response(ctx: u32, token: u32, nh: u32, bs: u32, nt: u32): void {
  const status = getHeader(CALL_RESPONSE_HEADERS, ":status");
  const body = getBuffer(4, 0, bs);
  log(2, "call response ctx=" + ctx.toString() + " token=" + token.toString() + " headers=" + nh.toString() + " status=" + (status === null ? "<none>" : status!) + " body=" + str(body));
  if (<i64>token == flushToken) {
    log(2, "flushed; done=" + done().toString());
    return;
  }
  // Every response arrives on the root context (the call belongs to it); like the SDKs, find
  // the stream that made the call by its token and make it effective again.
  if (callCtx.has(token)) {
    const caller = callCtx.get(token);
    callCtx.delete(token);
    if (setEffectiveContext(caller) != 0) {
      log(2, "caller ctx=" + caller.toString() + " is gone");
      return;
    }
    ctx = caller;
    const s = status === null ? "failed" : status!;
    callStatus.set(ctx, s);
    if (has(ctx, "call-deny")) {
      sendLocalResponse(401, "denied_after_call", "check said " + s, [], []);
      return;
    }
    addHeader(REQUEST_HEADERS, "x-check-status", s);
    continueStream(0);
  }
}

/** int64 nanoseconds, or absl::Duration's bytes (int64 seconds, uint32 quarter-nanoseconds). */
function durationNs(b: ArrayBuffer): i64 {
  const p = changetype<usize>(b);
  if (b.byteLength == 16) return load<i64>(p) * 1_000_000_000 + <i64>(load<u32>(p + 8) / 4);
  return load<i64>(p);
}

export function proxy_on_log(ctx: u32): void {
  const code = getProperty("response.code");
  const flags = getProperty("response.flags");
  const details = getProperty("response.code_details");
  const dur = getProperty("request.duration");
  log(2, "on_log ctx=" + ctx.toString() + " code=" + (code === null ? "<missing>" : load<i64>(changetype<usize>(code!)).toString()) +
    " flags=" + (flags === null ? "<missing>" : load<u64>(changetype<usize>(flags!)).toString()) +
    " details=" + str(details) + " duration_ns=" + (dur === null ? "<missing>" : durationNs(dur!).toString()) +
    " body_status=" + bufferSize(0).toString() + " upstream=" + str(getProperty("upstream.address")));
}

export function proxy_on_done(ctx: u32): bool {
  if (ctx == rootId && flushOnDone) {
    flushToken = httpCall(cluster, [":method", ":path", ":authority"], ["POST", "/flush", "collector"], "pending-records", 1000);
    log(2, "flushing before shutdown token=" + flushToken.toString());
    return false;
  }
  if (ctx != rootId) incrementMetric(inflight, -1);
  log(1, "done ctx=" + ctx.toString());
  return true;
}

export function proxy_on_delete(ctx: u32): void {
  ops.delete(ctx);
  callStatus.delete(ctx);
  log(1, "delete ctx=" + ctx.toString());
}
