// Counters exported through proxy-wasm metrics; Envoy shows them in its stats
// (with the `wasmcustom.` prefix). Defined once per VM; the host dedups by name.
import { defineCounter, defineGauge, incrementMetric, recordMetric } from "../abi/api";

export class Metrics {
  sent: u32 = 0xffffffff;
  failed: u32 = 0xffffffff;
  retried: u32 = 0xffffffff;
  dropped: u32 = 0xffffffff;
  batches: u32 = 0xffffffff;
  queued: u32 = 0xffffffff;
  // Local mirrors, so tests and logs can read the totals without the host.
  sentTotal: i64 = 0;
  failedTotal: i64 = 0;
  retriedTotal: i64 = 0;
  droppedTotal: i64 = 0;

  define(): void {
    if (this.sent != 0xffffffff) return;
    this.sent = defineCounter("db_log_pusher.records_sent");
    this.failed = defineCounter("db_log_pusher.records_failed");
    this.retried = defineCounter("db_log_pusher.records_retried");
    this.dropped = defineCounter("db_log_pusher.records_dropped");
    this.batches = defineCounter("db_log_pusher.batches_sent");
    this.queued = defineGauge("db_log_pusher.records_queued");
  }

  addSent(n: i32): void { this.sentTotal += n; incrementMetric(this.sent, n); incrementMetric(this.batches, 1); }
  addFailed(n: i32): void { this.failedTotal += n; incrementMetric(this.failed, n); }
  addRetried(n: i32): void { this.retriedTotal += n; incrementMetric(this.retried, n); }
  addDropped(n: i32): void { this.droppedTotal += n; incrementMetric(this.dropped, n); }
  private lastQueued: i32 = -1;

  /** Sets the queued gauge; a value the gauge already holds costs no host call. */
  setQueued(n: i32): void {
    if (this.queued == 0xffffffff || n == this.lastQueued) return;
    this.lastQueued = n;
    recordMetric(this.queued, <u64>n);
  }
}
