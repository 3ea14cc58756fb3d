// One collector's batching queue and sender (one per collector cluster per VM). Records arrive as
// ready JSON lines from on_log; they are sent from the root context (in Envoy every http call
// belongs to the root context: its answer comes to the root's id, and ending a stream does not
// cancel it) as NDJSON batches by size and on the tick, or one JSON object per call when
// batch_size is 1, exactly as the reference plugin sends. Bounded: past max_pending_records /
// max_pending_bytes new records are dropped and counted; failed batches are retried with
// exponential backoff, then counted as failed.
//
// When the VM shuts down the sender drains: everything held goes out now, retries go out
// without backoff, and every call's timeout ends by the drain deadline, so the drain is over by
// then whether or not the host keeps ticking; the root calls proxy_done when all senders are idle.
import { HeaderPair, httpCall, setEffectiveContext, getHeader, logWarn, logDebug, nowMillis } from "../abi/api";
import { Status, MapType } from "../abi/types";
import { PluginConfig } from "./config";
import { Metrics } from "./metrics";
import { random01 } from "./util";

class Batch {
  constructor(public body: ArrayBuffer, public count: i32, public attempt: i32, public dueMs: i64) {}
}

/** Told when a draining sender holds nothing more. */
export abstract class DrainListener {
  abstract onSenderIdle(): void;
}

export class Sender {
  private queue: ArrayBuffer[] = [];
  private head: i32 = 0;
  private queuedBytes: i64 = 0;
  private retrying: Batch[] = [];
  private retryingRecords: i32 = 0;
  private inFlight: Map<u32, Batch> = new Map<u32, Batch>();
  private inFlightRecords: i32 = 0;
  private warnedDrop: bool = false;
  private nextPartialMs: i64 = 0;
  /** What this sender has added to the records_queued gauge. */
  private reported: i32 = 0;
  private draining: bool = false;
  private drainDeadlineMs: i64 = 0;
  private listener: DrainListener | null = null;
  private headers: HeaderPair[];

  constructor(public rootId: u32, public config: PluginConfig, public metrics: Metrics) {
    this.nextPartialMs = nowMillis() + <i64>config.flushIntervalMs;
    const c = config;
    this.headers = [
      new HeaderPair(":method", "POST"),
      new HeaderPair(":path", c.collectorPath),
      new HeaderPair(":authority", c.collectorAuthority),
      new HeaderPair("content-type", c.batchSize == 1 ? "application/json" : "application/x-ndjson"),
      new HeaderPair("user-agent", "db-log-pusher"),
    ];
    if (c.collectorToken.length > 0) this.headers.push(new HeaderPair("authorization", "Bearer " + c.collectorToken));
  }

  get cluster(): string { return this.config.collectorClusterName; }

  queuedRecords(): i32 { return this.queue.length - this.head; }

  /** Records held in memory: queued, waiting to be retried, or in flight. */
  pendingRecords(): i32 { return this.queuedRecords() + this.retryingRecords + this.inFlightRecords; }

  idle(): bool { return this.pendingRecords() == 0; }

  /** Adds one record; `fromContext` is the effective context to restore after a send. */
  enqueue(record: ArrayBuffer, fromContext: u32): void {
    const c = this.config;
    if (this.pendingRecords() >= c.maxPendingRecords || this.queuedBytes + <i64>record.byteLength > <i64>c.maxPendingBytes) {
      this.metrics.addDropped(1);
      if (!this.warnedDrop) {
        this.warnedDrop = true;
        logWarn("db-log-pusher: queue full (" + this.pendingRecords().toString() + " records pending for " + c.collectorClusterName + "), dropping records until the collector catches up");
      }
      return;
    }
    this.queue.push(record);
    this.queuedBytes += record.byteLength;
    if (this.draining || this.queuedRecords() >= c.batchSize) this.flush(this.draining, fromContext);
    this.report();
  }

  onTick(): void {
    const now = nowMillis();
    if (this.draining) {
      if (now >= this.drainDeadlineMs) this.abandon();
      else this.flush(true, this.rootId);
    } else {
      const partial = now >= this.nextPartialMs;
      if (partial) this.nextPartialMs = now + <i64>this.config.flushIntervalMs;
      this.flush(partial, this.rootId);
    }
    this.report();
  }

  /** Starts draining: sends everything now; true when nothing is held (nothing to wait for). */
  startDrain(listener: DrainListener): bool {
    this.draining = true;
    this.listener = listener;
    this.drainDeadlineMs = nowMillis() + <i64>this.config.drainTimeoutMs;
    if (this.config.drainTimeoutMs == 0) this.abandon();
    else this.flush(true, this.rootId);
    this.report();
    return this.idle();
  }

  /** Sends due retries, full batches and, when `partial`, a last partial batch. */
  flush(partial: bool, fromContext: u32): void {
    const now = nowMillis();
    const limit = this.config.maxInFlight;
    let switched = false;
    // Retries whose backoff has passed go first (all of them when draining).
    for (let i = 0; i < this.retrying.length && this.inFlight.size < limit; ) {
      const b = this.retrying[i];
      if (this.draining || b.dueMs <= now) {
        this.retrying.splice(i, 1);
        this.retryingRecords -= b.count;
        if (!switched) { switched = true; setEffectiveContext(this.rootId); }
        this.dispatch(b);
      } else i++;
    }
    while (this.inFlight.size < limit) {
      const n = this.queuedRecords();
      if (n == 0 || (n < this.config.batchSize && !partial)) break;
      const b = this.takeBatch(n < this.config.batchSize ? n : this.config.batchSize);
      if (!switched) { switched = true; setEffectiveContext(this.rootId); }
      this.dispatch(b);
    }
    if (switched && fromContext != this.rootId) setEffectiveContext(fromContext);
    this.compact();
  }

  private takeBatch(count: i32): Batch {
    let size = 0;
    for (let i = 0; i < count; i++) size += this.queue[this.head + i].byteLength + 1;
    const single = this.config.batchSize == 1 && count == 1;
    const body = new ArrayBuffer(single ? size - 1 : size);
    let at = changetype<usize>(body);
    for (let i = 0; i < count; i++) {
      const r = this.queue[this.head + i];
      memory.copy(at, changetype<usize>(r), <usize>r.byteLength);
      at += <usize>r.byteLength;
      this.queuedBytes -= r.byteLength;
      if (!single) { store<u8>(at, 0x0a); at += 1; }
    }
    this.head += count;
    return new Batch(body, count, 0, 0);
  }

  private compact(): void {
    if (this.head > 0 && (this.head >= 64 || this.head == this.queue.length)) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private dispatch(b: Batch): void {
    const c = this.config;
    let timeout = c.timeoutMs;
    if (this.draining) {
      // Every call made while draining is answered (or timed out) by the deadline.
      const left = this.drainDeadlineMs - nowMillis();
      if (left <= 0) { this.fail(b, 0); return; }
      if (left < <i64>timeout) timeout = <i32>left;
    }
    const r = httpCall(c.collectorClusterName, this.headers, b.body, <u32>timeout);
    if (r.status != Status.Ok) {
      logWarn("db-log-pusher: cannot call collector cluster " + c.collectorClusterName + " (status " + r.status.toString() + ")");
      // The host refused the call outright (no such cluster): retrying now would fail the same way.
      if (this.draining) this.fail(b, 0);
      else this.retryOrFail(b, 0);
      return;
    }
    this.inFlight.set(r.token, b);
    this.inFlightRecords += b.count;
  }

  /** Handles the collector's answer to the call with `token`; false when the token is not ours. */
  onResponse(token: u32, numHeaders: u32): bool {
    if (!this.inFlight.has(token)) return false;
    const b = this.inFlight.get(token);
    this.inFlight.delete(token);
    this.inFlightRecords -= b.count;
    let status: i32 = 0;
    if (numHeaders > 0) {
      const s = getHeader(MapType.HttpCallResponseHeaders, ":status");
      if (s !== null) status = I32.parseInt(s);
    }
    if (status >= 200 && status < 300) {
      this.metrics.addSent(b.count);
      logDebug("db-log-pusher: sent " + b.count.toString() + " records");
    } else {
      this.retryOrFail(b, status);
    }
    // Free capacity: send what is waiting without waiting for the tick.
    this.flush(this.draining, this.rootId);
    this.report();
    return true;
  }

  private retryOrFail(b: Batch, status: i32): void {
    // 0 means no answer (timeout, connection failure); 5xx and 429 are worth another try.
    const retryable = status == 0 || status == 429 || status >= 500;
    const timeLeft = !this.draining || nowMillis() < this.drainDeadlineMs;
    if (retryable && b.attempt < this.config.maxRetries && timeLeft) {
      b.attempt++;
      const base = <f64>this.config.retryBackoffMs * Math.pow(2, <f64>(b.attempt - 1));
      b.dueMs = nowMillis() + <i64>(base * (0.5 + random01()));
      this.retrying.push(b);
      this.retryingRecords += b.count;
      this.metrics.addRetried(b.count);
      return;
    }
    this.fail(b, status);
  }

  private fail(b: Batch, status: i32): void {
    this.metrics.addFailed(b.count);
    logWarn("db-log-pusher: collector " + (status == 0 ? "did not answer" : "answered " + status.toString()) +
      ", " + b.count.toString() + " records lost after " + (b.attempt + 1).toString() + " attempts");
  }

  /** The drain deadline has passed: what is still queued or waiting for a retry is given up. */
  private abandon(): void {
    const lost = this.queuedRecords() + this.retryingRecords;
    if (lost > 0) {
      this.metrics.addFailed(lost);
      logWarn("db-log-pusher: VM shutting down, " + lost.toString() + " records for " + this.config.collectorClusterName + " not sent within drain_timeout_ms");
    }
    this.queue = [];
    this.head = 0;
    this.queuedBytes = 0;
    this.retrying = [];
    this.retryingRecords = 0;
  }

  /** Moves the gauge by what changed since the last report, and tells a drain listener when idle. */
  private report(): void {
    const now = this.pendingRecords();
    if (now != this.reported) {
      this.metrics.addQueued(now - this.reported);
      this.reported = now;
    }
    if (this.draining && now == 0 && this.listener !== null) this.listener!.onSenderIdle();
  }
}
