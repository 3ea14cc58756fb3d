// WASI preview 1 as Envoy offers it to proxy-wasm modules (proxy-wasm-cpp-host's list): fd_write
// to the plugin log, clocks, random, environ and args; proc_exit ends the call as a trap.

import { randomFillSync } from 'node:crypto';
import { type LogLevelName, WasiErrno } from '../abi.js';
import type { Clock } from '../clock.js';
import { type GuestMemory, MemoryAccessError } from '../memory.js';

const enc = new TextEncoder();

type Fn = (...args: any[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any

export class ProcExit extends Error {
  constructor(readonly code: number) {
    super(`proc_exit(${code})`);
  }
}

const WASI_NAMES = [
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_prestat_get',
  'fd_prestat_dir_name', 'environ_get', 'environ_sizes_get', 'args_get', 'args_sizes_get', 'clock_time_get',
  'clock_res_get', 'random_get', 'sched_yield', 'poll_oneoff', 'proc_exit', 'path_open',
];

export interface WasiHost {
  mem(): GuestMemory;
  log(level: LogLevelName, message: string): void;
  env: Record<string, string>;
  clock: Clock;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function wasiImports(host: WasiHost): Record<string, Fn> {
  const m = () => host.mem();
  const wg = (fn: Fn): Fn => (...args: unknown[]) => {
    try {
      return fn(...args);
    } catch (e) {
      if (e instanceof MemoryAccessError || e instanceof RangeError) return WasiErrno.Fault;
      throw e;
    }
  };
  const envEntries = Object.entries(host.env).map(([k, v]) => enc.encode(`${k}=${v}\0`));
  const wasi: Record<string, Fn> = {
    fd_write: wg((fd: number, iovs: number, iovsLen: number, nwritten: number) => {
      if (fd !== 1 && fd !== 2) return WasiErrno.Badf;
      const parts: Uint8Array[] = [];
      let total = 0;
      for (let i = 0; i < iovsLen; i++) {
        const p = m().u32(iovs + i * 8);
        const l = m().u32(iovs + i * 8 + 4);
        parts.push(m().bytes(p, l));
        total += l;
      }
      let text = new TextDecoder().decode(concat(parts));
      if (text.endsWith('\n')) text = text.slice(0, -1);
      if (text.length > 0) host.log(fd === 1 ? 'info' : 'error', text);
      m().setU32(nwritten, total);
      return WasiErrno.Success;
    }),
    fd_read: () => WasiErrno.Badf,
    fd_seek: () => WasiErrno.Badf,
    fd_close: () => WasiErrno.Badf,
    fd_fdstat_get: wg((fd: number, ret: number) => {
      if (fd !== 1 && fd !== 2) return WasiErrno.Badf;
      // filetype CHARACTER_DEVICE (2), no flags, rights zero
      m().write(ret, new Uint8Array(24));
      m().write(ret, Uint8Array.of(2));
      return WasiErrno.Success;
    }),
    fd_fdstat_set_flags: () => WasiErrno.Nosys,
    fd_prestat_get: () => WasiErrno.Badf,
    fd_prestat_dir_name: () => WasiErrno.Nosys,
    path_open: () => WasiErrno.Nosys,
    environ_sizes_get: wg((countPtr: number, sizePtr: number) => {
      m().setU32(countPtr, envEntries.length);
      m().setU32(sizePtr, envEntries.reduce((a, b) => a + b.length, 0));
      return WasiErrno.Success;
    }),
    environ_get: wg((arrPtr: number, bufPtr: number) => {
      let p = bufPtr;
      envEntries.forEach((e, i) => {
        m().setU32(arrPtr + i * 4, p);
        m().write(p, e);
        p += e.length;
      });
      return WasiErrno.Success;
    }),
    args_sizes_get: wg((argc: number, size: number) => {
      m().setU32(argc, 0);
      m().setU32(size, 0);
      return WasiErrno.Success;
    }),
    args_get: () => WasiErrno.Success,
    clock_time_get: wg((id: number, _precision: bigint, ret: number) => {
      if (id === 0) m().setU64(ret, host.clock.nowNs());
      else if (id === 1) m().setU64(ret, host.clock.monotonicNs());
      else return WasiErrno.Notsup;
      return WasiErrno.Success;
    }),
    clock_res_get: wg((id: number, ret: number) => {
      if (id !== 0 && id !== 1) return WasiErrno.Notsup;
      m().setU64(ret, 1n);
      return WasiErrno.Success;
    }),
    random_get: wg((ptr: number, len: number) => {
      if (len > 65536) return WasiErrno.Inval;
      const b = new Uint8Array(len);
      randomFillSync(b);
      m().write(ptr, b);
      return WasiErrno.Success;
    }),
    sched_yield: () => WasiErrno.Success,
    poll_oneoff: () => WasiErrno.Nosys,
    proc_exit: (code: number) => {
      throw new ProcExit(code);
    },
  };
  for (const n of WASI_NAMES) if (!wasi[n]) throw new Error(`internal: WASI ${n} missing`);
  return wasi;
}
