// Metrics: counters, gauges and histograms in the host's shared stats store. Ids carry the type
// in their low two bits, as Envoy's do.

import { MetricType, Status } from '../abi.js';
import { type Fn, guard as g, type VmAbi } from './vm-abi.js';

export function metricCalls(vm: VmAbi): Record<string, Fn> {
  const m = () => vm.mem;
  const metricIds = new Map<string, number>();
  let nextMetricSeq = 1;
  return {
    proxy_define_metric: g((type: number, np: number, ns: number, idPtr: number) => {
      if (type > MetricType.Histogram) return Status.BadArgument;
      const name = m().string(np, ns);
      const key = `${type}\0${name}`;
      let id = metricIds.get(key);
      if (id === undefined) {
        // Envoy keeps the metric type in the low two bits of the id.
        id = (nextMetricSeq++ << 2) | type;
        metricIds.set(key, id);
        // Envoy's stats store is shared by every VM: the same name is the same metric.
        vm.metrics.set(id, vm.host.stat(vm.name, name, (['counter', 'gauge', 'histogram'] as const)[type]));
      }
      m().setU32(idPtr, id);
      return Status.Ok;
    }),
    proxy_increment_metric: g((id: number, delta: bigint) => {
      const mt = vm.metrics.get(id >>> 0);
      if (!mt) return (id & 3) === MetricType.Histogram ? Status.BadArgument : Status.NotFound;
      const d = Number(delta);
      if (mt.type === 'counter') {
        if (d <= 0) return Status.BadArgument;
        mt.value += d;
      } else if (mt.type === 'gauge') mt.value += d;
      else return Status.BadArgument;
      return Status.Ok;
    }),
    proxy_record_metric: g((id: number, value: bigint) => {
      const mt = vm.metrics.get(id >>> 0);
      if (!mt) return Status.NotFound;
      const v = Number(BigInt.asUintN(64, value));
      if (mt.type === 'counter') mt.value += v;
      else if (mt.type === 'gauge') mt.value = v;
      else {
        mt.value++;
        mt.samples.push(v);
        if (mt.samples.length > 10_000) mt.samples.shift();
      }
      return Status.Ok;
    }),
    proxy_get_metric: g((id: number, ret: number) => {
      const mt = vm.metrics.get(id >>> 0);
      if (!mt) return (id & 3) === MetricType.Histogram ? Status.BadArgument : Status.NotFound;
      if (mt.type === 'histogram') return Status.BadArgument;
      m().setU64(ret, BigInt(Math.trunc(mt.value)));
      return Status.Ok;
    }),
  };
}
