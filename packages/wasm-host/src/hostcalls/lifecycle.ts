// Lifecycle: the stream flow (continue, close, local responses), effective context, proxy_done,
// ticks and time, and what Envoy links beyond the ABI (pthread_equal,
// emscripten_notify_memory_growth; proxy-wasm-cpp-host src/exports.cc).

import { Status, StreamType } from '../abi.js';
import { deserializeFields } from '../header-map.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

export function lifecycleCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  return {
    proxy_get_current_time_nanoseconds: g((ret: number) => {
      m().setU64(ret, vm.host.clock.nowNs());
      return Status.Ok;
    }),
    proxy_set_tick_period_milliseconds: g((period: number) => {
      const root = vm.context(vm.ctx().rootId ?? vm.ctx().id) ?? vm.rootContext;
      root.tick?.cancel();
      root.tick = undefined;
      if (period > 0) root.tick = vm.host.clock.every(period >>> 0, () => vm.tick());
      return Status.Ok;
    }),
    proxy_continue_stream: g((type: number) => {
      const ctx = vm.ctx();
      if (type > StreamType.Upstream) return Status.BadArgument;
      if (type > StreamType.HttpResponse) return Status.Unimplemented;
      if (!ctx.stream) return Status.NotFound;
      return ctx.stream.continueStream(ctx.index, type);
    }),
    proxy_close_stream: g((type: number) => {
      const ctx = vm.ctx();
      if (type > StreamType.Upstream) return Status.BadArgument;
      if (!ctx.stream) return Status.NotFound;
      return ctx.stream.closeStream(ctx.index, type);
    }),
    proxy_continue_request: g(() => {
      const ctx = vm.ctx();
      return ctx.stream ? ctx.stream.continueStream(ctx.index, StreamType.HttpRequest) : Status.NotFound;
    }),
    proxy_continue_response: g(() => {
      const ctx = vm.ctx();
      return ctx.stream ? ctx.stream.continueStream(ctx.index, StreamType.HttpResponse) : Status.NotFound;
    }),
    proxy_clear_route_cache: () => Status.Ok,
    proxy_send_local_response: g((status: number, dp: number, ds: number, bp: number, bs: number, hp: number, hs: number, grpc: number) => {
      const details = m().string(dp, ds);
      const body = m().bytes(bp, bs);
      const headers = deserializeFields(m().bytes(hp, hs));
      const ctx = vm.ctx();
      if (!ctx.stream) return Status.NotFound;
      return ctx.stream.sendLocalResponse(ctx.index, status, details, body, headers, grpc | 0);
    }),
    proxy_set_effective_context: g((id: number) => {
      const ctx = vm.context(id >>> 0);
      if (!ctx || ctx.deleted) return Status.BadArgument;
      vm.setEffective(ctx);
      return Status.Ok;
    }),
    proxy_done: g(() => {
      const ctx = vm.ctx();
      const root = vm.context(ctx.rootId ?? ctx.id);
      if (!root?.pendingDone) return Status.NotFound;
      const f = root.pendingDone;
      root.pendingDone = undefined;
      queueMicrotask(f);
      return Status.Ok;
    }),
    proxy_call_foreign_function: g(() => Status.NotFound),
    // Envoy's additions beyond the ABI (proxy-wasm-cpp-host src/exports.cc).
    pthread_equal: (a: number, b: number) => (a === b ? 1 : 0),
    // cpp-host refreshes its view of memory here; GuestMemory reads the buffer on every access.
    emscripten_notify_memory_growth: () => undefined,
  };
}
