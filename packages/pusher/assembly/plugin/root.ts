// The plugin's root context: configuration, metrics, the tick and the senders, handed to each
// stream as a Pipeline. At VM shutdown (proxy_on_done) it keeps the VM alive until every sender
// has sent what it holds or its drain deadline has passed, then calls proxy_done.
import { RootContext, HttpContext } from "../abi/context";
import { BufferType } from "../abi/types";
import { done, getBufferBytes, logError, logInfo, logWarn, nowNanos, setEffectiveContext, setTickPeriod } from "../abi/api";
import { decodeUtf8Buffer } from "../abi/utf8";
import { parseConfig } from "./config";
import { Metrics } from "./metrics";
import { Pipeline } from "./pipeline";
import { DrainListener } from "./sender";
import { seedRandom } from "./util";
import { PusherHttp } from "./http";

class Drain extends DrainListener {
  /** Set once on_done has answered false: proxy_done may not be called before. */
  armed: bool = false;
  finished: bool = false;
  constructor(public pipeline: Pipeline, public rootId: u32) { super(); }

  allIdle(): bool {
    for (let i = 0; i < this.pipeline.senders.length; i++) if (!this.pipeline.senders[i].idle()) return false;
    return true;
  }

  onSenderIdle(): void {
    if (!this.armed || this.finished || !this.allIdle()) return;
    this.finished = true;
    logInfo("db-log-pusher: drained, VM done");
    // proxy_done acts on the effective context's root (a stream's on_log may have got us here).
    setEffectiveContext(this.rootId);
    done();
  }
}

function gcd(a: i32, b: i32): i32 {
  while (b != 0) { const t = a % b; a = b; b = t; }
  return a;
}

export class PusherRoot extends RootContext {
  pipeline: Pipeline | null = null;
  metrics: Metrics = new Metrics();
  private drain: Drain | null = null;

  onVmStart(configurationSize: u32): bool {
    seedRandom(nowNanos() ^ (<u64>this.contextId << 32));
    return true;
  }

  onConfigure(configurationSize: u32): bool {
    let text = "";
    if (configurationSize > 0) {
      const b = getBufferBytes(BufferType.PluginConfiguration, 0, configurationSize);
      if (b !== null) text = decodeUtf8Buffer(b);
    }
    const parsed = parseConfig(text);
    if (parsed.error.length > 0) {
      logError("db-log-pusher: invalid configuration: " + parsed.error);
      return false;
    }
    if (parsed.warning.length > 0) logWarn("db-log-pusher: " + parsed.warning);
    this.metrics.define();
    const p = new Pipeline(parsed, this.contextId, this.metrics);
    this.pipeline = p;
    // Ticks at the gcd of every flush interval and retry backoff: partial batches leave exactly
    // every flush interval, and due retries at most one tick late.
    let period = 0;
    for (let i = 0; i < p.senders.length; i++) {
      const c = p.senders[i].config;
      period = gcd(gcd(period, c.flushIntervalMs), c.retryBackoffMs);
      logInfo("db-log-pusher: sending to cluster " + c.collectorClusterName + " path " + c.collectorPath +
        ", batch_size " + c.batchSize.toString() + ", flush_interval_ms " + c.flushIntervalMs.toString());
    }
    setTickPeriod(<u32>(period < 10 ? 10 : period));
    if (p.global === null) logInfo("db-log-pusher: no default configuration, only requests matching one of " + p.rules.length.toString() + " rules are recorded");
    return true;
  }

  onTick(): void {
    if (this.pipeline === null) return;
    const s = this.pipeline!.senders;
    for (let i = 0; i < s.length; i++) s[i].onTick();
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (this.pipeline === null) return;
    const s = this.pipeline!.senders;
    for (let i = 0; i < s.length; i++) if (s[i].onResponse(token, numHeaders)) return;
  }

  newHttpContext(contextId: u32): HttpContext | null {
    if (this.pipeline === null) return null;
    return new PusherHttp(contextId, this, this.pipeline!);
  }

  /**
   * The VM is going away (configuration change, gateway stop). In Envoy, destroying the root
   * context cancels its outstanding calls, so it answers false while anything is held and calls
   * proxy_done once every sender is idle (each sender's drain ends by drain_timeout_ms).
   */
  onDone(): bool {
    if (this.pipeline === null) return true;
    const d = new Drain(this.pipeline!, this.contextId);
    this.drain = d;
    const s = this.pipeline!.senders;
    let idle = true;
    for (let i = 0; i < s.length; i++) if (!s[i].startDrain(d)) idle = false;
    if (idle) { d.finished = true; return true; }
    d.armed = true;
    logInfo("db-log-pusher: VM shutting down, sending the records it holds");
    return false;
  }
}
