// Root (plugin) and HTTP (stream) contexts, and the registry that maps the host's context ids
// to them. A plugin subclasses both and installs a root factory with setRootContextFactory.
import { Action } from "./types";

export class RootContext {
  constructor(public readonly contextId: u32) {}
  onVmStart(configurationSize: u32): bool { return true; }
  onConfigure(configurationSize: u32): bool { return true; }
  onTick(): void {}
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  /** Returns the context for a new HTTP stream, or null to leave the stream alone. */
  newHttpContext(contextId: u32): HttpContext | null { return null; }
  onDone(): bool { return true; }
  onDelete(): void {}
}

export class HttpContext {
  constructor(public readonly contextId: u32, public readonly root: RootContext) {}
  onRequestHeaders(numHeaders: u32, endOfStream: bool): u32 { return Action.Continue; }
  onRequestBody(bodySize: u32, endOfStream: bool): u32 { return Action.Continue; }
  onRequestTrailers(numTrailers: u32): u32 { return Action.Continue; }
  onResponseHeaders(numHeaders: u32, endOfStream: bool): u32 { return Action.Continue; }
  onResponseBody(bodySize: u32, endOfStream: bool): u32 { return Action.Continue; }
  onResponseTrailers(numTrailers: u32): u32 { return Action.Continue; }
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onLog(): void {}
  onDone(): bool { return true; }
  onDelete(): void {}
}

function defaultRootFactory(contextId: u32): RootContext {
  return new RootContext(contextId);
}

let rootFactory: (contextId: u32) => RootContext = defaultRootFactory;

export function setRootContextFactory(factory: (contextId: u32) => RootContext): void {
  rootFactory = factory;
}

export const roots = new Map<u32, RootContext>();
export const streams = new Map<u32, HttpContext>();

export function createContext(contextId: u32, parentId: u32): void {
  if (parentId == 0) {
    roots.set(contextId, rootFactory(contextId));
    return;
  }
  if (!roots.has(parentId)) return;
  const ctx = roots.get(parentId).newHttpContext(contextId);
  if (ctx !== null) streams.set(contextId, ctx);
}
