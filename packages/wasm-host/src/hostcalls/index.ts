// Every proxy-wasm host function, by ABI area (module "env"); WASI is in wasi.ts. Which of them
// a module may import, and with which signature, is loader/envoy-imports.ts.

import { bufferCalls } from './buffers.js';
import { headerMapCalls } from './header-maps.js';
import { httpCallCalls } from './http-calls.js';
import { lifecycleCalls } from './lifecycle.js';
import { loggingCalls } from './logging.js';
import { metricCalls } from './metrics.js';
import { propertyCalls } from './properties.js';
import { sharedCalls } from './shared.js';
import type { Fn, VmAbi } from './vm-abi.js';

export function hostFunctions(vm: VmAbi): Record<string, Fn> {
  return {
    ...loggingCalls(vm),
    ...lifecycleCalls(vm),
    ...bufferCalls(vm),
    ...headerMapCalls(vm),
    ...propertyCalls(vm),
    ...httpCallCalls(vm),
    ...metricCalls(vm),
    ...sharedCalls(vm),
  };
}
