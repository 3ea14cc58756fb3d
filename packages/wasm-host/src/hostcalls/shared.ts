// Shared data (with compare-and-swap) and shared queues, per vm_id across every VM.
// As proxy-wasm-cpp-host src/shared_data.cc: a set with a non-zero cas on an existing key must
// match its cas (else CasMismatch), a set on a missing key always succeeds, every set takes a new
// cas; registering a queue again keeps its token and its data and rebinds it to the new root.

import { Status } from '../abi.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

export function sharedCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  return {
    proxy_get_shared_data: g((kp: number, ks: number, ptrPtr: number, sizePtr: number, casPtr: number) => {
      const e = vm.host.sharedData.get(`${vm.vmId}\0${m().string(kp, ks)}`);
      if (!e) return Status.NotFound;
      m().copyOut(e.value, ptrPtr, sizePtr);
      m().setU32(casPtr, e.cas);
      return Status.Ok;
    }),
    proxy_set_shared_data: g((kp: number, ks: number, vp: number, vs: number, cas: number) => {
      const key = `${vm.vmId}\0${m().string(kp, ks)}`;
      const value = m().bytes(vp, vs);
      const e = vm.host.sharedData.get(key);
      if (cas !== 0 && e && e.cas !== cas >>> 0) return Status.CasMismatch;
      vm.host.sharedData.set(key, { value, cas: vm.host.nextCas() });
      return Status.Ok;
    }),
    proxy_register_shared_queue: g((np: number, ns: number, idPtr: number) => {
      m().setU32(idPtr, vm.host.registerQueue(vm, vm.vmId, m().string(np, ns)));
      return Status.Ok;
    }),
    proxy_resolve_shared_queue: g((vp: number, vs: number, np: number, ns: number, idPtr: number) => {
      const id = vm.host.resolveQueue(m().string(vp, vs), m().string(np, ns));
      if (id === undefined) return Status.NotFound;
      m().setU32(idPtr, id);
      return Status.Ok;
    }),
    proxy_enqueue_shared_queue: g((id: number, vp: number, vs: number) => vm.host.enqueue(id >>> 0, m().bytes(vp, vs))),
    proxy_dequeue_shared_queue: g((id: number, ptrPtr: number, sizePtr: number) => {
      const r = vm.host.dequeue(id >>> 0);
      if (typeof r === 'number') return r;
      m().copyOut(r, ptrPtr, sizePtr);
      return Status.Ok;
    }),
  };
}
