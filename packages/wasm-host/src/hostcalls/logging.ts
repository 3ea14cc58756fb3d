// Logging: proxy_log and proxy_get_log_level (WASI fd_write, the other way out, is in wasi.ts).
// A level past critical is BadArgument, as proxy-wasm-cpp-host src/exports.cc `log` answers.

import { LOG_LEVEL_NAMES, Status } from '../abi.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

export function loggingCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  return {
    proxy_log: g((level: number, ptr: number, size: number) => {
      const name = LOG_LEVEL_NAMES[level];
      if (!name) return Status.BadArgument;
      vm.log(name, m().string(ptr, size));
      return Status.Ok;
    }),
    proxy_get_log_level: g((ret: number) => {
      m().setU32(ret, vm.host.logLevel);
      return Status.Ok;
    }),
  };
}
