// What the host functions need from the VM they are linked into (PluginVm implements it).

import type { AbiVersion, LogLevelName } from '../abi.js';
import { Status } from '../abi.js';
import type { HttpCallOutcome } from '../http-call.js';
import { type GuestMemory, MemoryAccessError } from '../memory.js';
import type { HostedVm, VmHost } from '../vm/host-api.js';
import type { Context, MetricSnapshot } from '../vm/types.js';

export type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface VmAbi extends HostedVm {
  readonly host: VmHost;
  readonly abi: AbiVersion;
  readonly vmId: string;
  readonly rootIdName: string;
  readonly configuration: Uint8Array;
  readonly vmConfiguration: Uint8Array;
  readonly mem: GuestMemory;
  readonly rootContext: Context;
  readonly configuring: 'vm' | 'plugin' | undefined;
  readonly callResponse: HttpCallOutcome | undefined;
  readonly callStatus: { code: number; message: string };
  /** Metric ids this VM defined. */
  readonly metrics: Map<number, MetricSnapshot>;
  ctx(): Context;
  context(id: number): Context | undefined;
  setEffective(ctx: Context): void;
  rootOf(ctx: Context): Context;
  log(level: LogLevelName, message: string, contextId?: number): void;
  unimplemented(name: string): number;
  tick(): void;
}

/** An out-of-range pointer is InvalidMemoryAccess for the module, never a host exception. */
export function guard(fn: Fn): Fn {
  const f = fn as (...a: unknown[]) => unknown;
  const fail = (e: unknown): unknown => {
    if (e instanceof MemoryAccessError || e instanceof RangeError) return Status.InvalidMemoryAccess;
    throw e;
  };
  // A wrapper of the function's own arity: every host call would otherwise allocate an array
  // for rest parameters. Host functions take plain parameters (no defaults), so fn.length is
  // the number the module passes.
  type A = unknown;
  switch (fn.length) {
    case 0: return () => { try { return f(); } catch (e) { return fail(e); } };
    case 1: return (a: A) => { try { return f(a); } catch (e) { return fail(e); } };
    case 2: return (a: A, b: A) => { try { return f(a, b); } catch (e) { return fail(e); } };
    case 3: return (a: A, b: A, c: A) => { try { return f(a, b, c); } catch (e) { return fail(e); } };
    case 4: return (a: A, b: A, c: A, d: A) => { try { return f(a, b, c, d); } catch (e) { return fail(e); } };
    case 5: return (a: A, b: A, c: A, d: A, e5: A) => { try { return f(a, b, c, d, e5); } catch (e) { return fail(e); } };
    default:
      return (...args: unknown[]) => {
        try {
          return f(...args);
        } catch (e) {
          return fail(e);
        }
      };
  }
}
