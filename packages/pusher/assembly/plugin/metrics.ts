// Metrics exported through proxy-wasm; Envoy's /stats shows them as wasmcustom.db_log_pusher.*,
// its Prometheus endpoint as wasmcustom_db_log_pusher_* (Higress: db_log_pusher_*). Defined
// once per VM; Envoy keeps one value per name for all VMs (one per worker thread), so the
// records_queued gauge moves by deltas: each sender adds what it took and subtracts what it let
// go, and the gauge is the sum over every VM and collector.
import { defineCounter, defineGauge, incrementMetric } from "../abi/api";

export class Metrics {
  sent: u32 = 0xffffffff;
  failed: u32 = 0xffffffff;
  retried: u32 = 0xffffffff;
  dropped: u32 = 0xffffffff;
  batches: u32 = 0xffffffff;
  queued: u32 = 0xffffffff;

  define(): void {
    if (this.sent != 0xffffffff) return;
    this.sent = defineCounter("db_log_pusher.records_sent");
    this.failed = defineCounter("db_log_pusher.records_failed");
    this.retried = defineCounter("db_log_pusher.records_retried");
    this.dropped = defineCounter("db_log_pusher.records_dropped");
    this.batches = defineCounter("db_log_pusher.batches_sent");
    this.queued = defineGauge("db_log_pusher.records_queued");
  }

  addSent(n: i32): void { incrementMetric(this.sent, n); incrementMetric(this.batches, 1); }
  addFailed(n: i32): void { incrementMetric(this.failed, n); }
  addRetried(n: i32): void { incrementMetric(this.retried, n); }
  addDropped(n: i32): void { incrementMetric(this.dropped, n); }
  /** Moves the queued gauge by `delta` records (negative: fewer held). */
  addQueued(delta: i32): void { incrementMetric(this.queued, delta); }
}
