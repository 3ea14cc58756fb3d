// HTTP calls: proxy_http_call (on the root context, see VmHost.dispatchHttpCall) and
// proxy_get_status for the call being answered.

import { Status } from '../abi.js';
import { deserializeFields, HeaderMap } from '../header-map.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

const enc = new TextEncoder();

export function httpCallCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  return {
    proxy_http_call: g((up: number, us: number, hp: number, hs: number, bp: number, bs: number, tp: number, ts: number, timeout: number, tokenPtr: number) => {
      const cluster = m().string(up, us);
      const headers = deserializeFields(m().bytes(hp, hs));
      const body = m().bytes(bp, bs);
      const trailers = deserializeFields(m().bytes(tp, ts));
      if ((timeout | 0) < 0) return Status.BadArgument;
      const hm = new HeaderMap(headers);
      if (!hm.has(':path') || !hm.has(':method') || !hm.has(':authority')) return Status.BadArgument;
      if (!vm.host.hasCluster(cluster)) return Status.BadArgument;
      m().setU32(tokenPtr, 0); // cpp-host checks the token's memory before starting the call
      // proxy-wasm-cpp-host src/exports.cc http_call: the call is made on the root context of
      // the effective context, whichever context that is; its response goes to the root.
      const r = vm.host.dispatchHttpCall(vm, vm.rootOf(vm.ctx()), { cluster, headers, body, trailers, timeoutMs: timeout >>> 0 });
      if (typeof r !== 'number') return r.status;
      m().setU32(tokenPtr, r);
      return Status.Ok;
    }),
    proxy_get_status: g((codePtr: number, msgPtr: number, msgSize: number) => {
      m().setU32(codePtr, vm.callStatus.code);
      m().copyOut(enc.encode(vm.callStatus.message), msgPtr, msgSize);
      return Status.Ok;
    }),
  };
}
