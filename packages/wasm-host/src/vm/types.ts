// What a VM, its contexts and its host share: records tests inspect, the binding a stream gives
// its plugins' contexts, and the options of a plugin.

import type { LogLevelName } from '../abi.js';
import type { Timer } from '../clock.js';
import type { HeaderMap, HeaderPairs } from '../header-map.js';

const enc = new TextEncoder();

export interface LogEntry {
  plugin: string;
  level: LogLevelName;
  message: string;
  contextId: number;
  /** Host time in ms since the epoch (the host's clock). */
  time: number;
}

export interface MetricSnapshot {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  /** Counter and gauge value; for a histogram the number of samples. */
  value: number;
  /** Histogram samples (the most recent 10,000). */
  samples: number[];
}

export interface HttpCallRecord {
  plugin: string;
  token: number;
  contextId: number;
  cluster: string;
  headers: Record<string, string>;
  headerPairs: HeaderPairs;
  body: string;
  bodyBytes: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
  /** Filled when the call settles. */
  outcome?:
    | { status: number; headers: Record<string, string>; body: string; delivered: boolean }
    | { failure: string; delivered: boolean };
}

/** What a stream offers its plugins' contexts; implemented by HttpStream. */
export interface StreamBinding {
  /** The map a plugin's context sees now (undefined: not available to it). */
  headerMap(type: number, index: number): HeaderMap | undefined;
  headerMapWritable(type: number, index: number): boolean;
  readonly filterState: Map<string, Uint8Array>;
  bodyBuffer(index: number, type: number): { get(): Uint8Array; set(b: Uint8Array): void } | undefined;
  getProperty(segments: string[]): Uint8Array | undefined;
  setProperty(path: string, value: Uint8Array): number;
  continueStream(index: number, stream: number): number;
  closeStream(index: number, stream: number): number;
  sendLocalResponse(index: number, status: number, details: string, body: Uint8Array, headers: HeaderPairs, grpcStatus: number): number;
}

export interface Context {
  id: number;
  /** undefined for a root context */
  rootId?: number;
  stream?: StreamBinding;
  index: number;
  calls: Map<number, AbortController>;
  deleted: boolean;
  tick?: Timer;
  /** Root context that answered proxy_on_done with false and waits for proxy_done. */
  pendingDone?: () => void;
}

export interface PluginOptions {
  /** Module bytes, or a path to a .wasm file. */
  wasm: Uint8Array | string;
  /** Plugin configuration; objects are serialized as JSON. */
  configuration?: string | Uint8Array | object;
  vmConfiguration?: string | Uint8Array | object;
  /** plugin_name property; defaults to the file name or "plugin-N". */
  name?: string;
  rootId?: string;
  vmId?: string;
  /** Environment variables visible through WASI environ_get. */
  env?: Record<string, string>;
  /** Override the host's failure policy for this plugin. */
  failOpen?: boolean;
}

export class PluginLoadError extends Error {
  constructor(message: string, readonly logs: LogEntry[] = []) {
    super(logs.length ? `${message}\n${logs.map((l) => `  [${l.level}] ${l.message}`).join('\n')}` : message);
    this.name = 'PluginLoadError';
  }
}

/** A host function called while the module starts that Envoy does not answer then. */
export class RestrictedCall extends Error {
  constructor(readonly fn: string) {
    super(`Function: ${fn} failed: not allowed while the module starts (_initialize/main/_start)`);
  }
}

export function toBytes(v: string | Uint8Array | object | undefined): Uint8Array {
  if (v === undefined) return new Uint8Array();
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return enc.encode(v);
  return enc.encode(JSON.stringify(v));
}

