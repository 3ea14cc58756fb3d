// What a VM needs from its host: the narrow interface between a PluginVm (and the host functions
// it links) and WasmHost, as proxy-wasm-go-sdk's ProxyWasmHost separates an SDK from its host.

import type { Clock } from '../clock.js';
import type { HttpCallOutcome, HttpCallRequest } from '../http-call.js';
import type { LogLevelName } from '../abi.js';
import type { Flavour } from '../properties/tables.js';
import type { JsonValue } from '../protobuf.js';
import type { Context, HttpCallRecord, LogEntry, MetricSnapshot } from './types.js';

/** A VM as the host sees it when it starts a call, wakes a queue or reports a trap. */
export interface HostedVm {
  readonly name: string;
  readonly failed: boolean;
  readonly failOpen: boolean;
  readonly chainIndex: number;
  readonly httpCalls: HttpCallRecord[];
  log(level: LogLevelName, message: string): void;
  deliverHttpCallResponse(root: Context, token: number, outcome: HttpCallOutcome): boolean;
  queueReady(queueId: number): void;
}

export interface VmHost {
  readonly clock: Clock;
  /** What proxy_get_log_level reports. */
  readonly logLevel: number;
  readonly flavour: Flavour;
  readonly failOpen: boolean;
  readonly nodeId: string;
  readonly nodeCluster: string;
  readonly nodeMetadata: Record<string, JsonValue>;
  /** Shared data by `${vmId}\0${key}`. */
  readonly sharedData: Map<string, { value: Uint8Array; cas: number }>;
  nextCas(): number;
  hasCluster(name: string): boolean;
  /** Starts a call owned by root: its token, or the status of an inline failure. */
  dispatchHttpCall(vm: HostedVm, root: Context, req: HttpCallRequest): number | { status: number };
  registerQueue(vm: HostedVm, vmId: string, name: string): number;
  resolveQueue(vmId: string, name: string): number | undefined;
  enqueue(id: number, value: Uint8Array): number;
  dequeue(id: number): Uint8Array | number;
  /** A metric of the shared stats store. */
  stat(plugin: string, name: string, type: MetricSnapshot['type']): MetricSnapshot;
  statsSnapshot(plugin: string): Record<string, MetricSnapshot>;
  emitLog(entry: LogEntry): void;
  emitTrap(vm: HostedVm, where: string, message: string): void;
  /** Called as a callback into the module starts (its name) and ends (undefined). */
  probe(vm: HostedVm, callback: string | undefined): void;
}
