// The callbacks the host calls (proxy_on_*), dispatched to the registered contexts.
// Unknown context ids are ignored: a stream the plugin chose not to observe has no context.
import { Action } from "./types";
import { roots, streams, createContext } from "./context";

export { proxy_on_memory_allocate } from "./memory";

/** Marker export: advertises ABI 0.2.1 to the host. Never called. */
export function proxy_abi_version_0_2_1(): void {}

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  createContext(contextId, parentContextId);
}

export function proxy_on_vm_start(rootContextId: u32, configurationSize: u32): bool {
  if (!roots.has(rootContextId)) return true;
  return roots.get(rootContextId).onVmStart(configurationSize);
}

export function proxy_on_configure(rootContextId: u32, configurationSize: u32): bool {
  if (!roots.has(rootContextId)) return false;
  return roots.get(rootContextId).onConfigure(configurationSize);
}

export function proxy_on_tick(rootContextId: u32): void {
  if (roots.has(rootContextId)) roots.get(rootContextId).onTick();
}

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: bool): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onRequestHeaders(numHeaders, endOfStream);
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: bool): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onRequestBody(bodySize, endOfStream);
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onRequestTrailers(numTrailers);
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: bool): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onResponseHeaders(numHeaders, endOfStream);
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: bool): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onResponseBody(bodySize, endOfStream);
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): u32 {
  if (!streams.has(contextId)) return Action.Continue;
  return streams.get(contextId).onResponseTrailers(numTrailers);
}

export function proxy_on_http_call_response(contextId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  if (roots.has(contextId)) {
    roots.get(contextId).onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  } else if (streams.has(contextId)) {
    streams.get(contextId).onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  }
}

export function proxy_on_done(contextId: u32): bool {
  if (streams.has(contextId)) return streams.get(contextId).onDone();
  if (roots.has(contextId)) return roots.get(contextId).onDone();
  return true;
}

export function proxy_on_log(contextId: u32): void {
  if (streams.has(contextId)) streams.get(contextId).onLog();
}

export function proxy_on_delete(contextId: u32): void {
  if (streams.has(contextId)) {
    streams.get(contextId).onDelete();
    streams.delete(contextId);
  } else if (roots.has(contextId)) {
    roots.get(contextId).onDelete();
    roots.delete(contextId);
  }
}
