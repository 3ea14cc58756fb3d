// The plugin's root context: configuration, metrics, the tick and the sender.
import { RootContext, HttpContext } from "../abi/context";
import { BufferType } from "../abi/types";
import { getBufferBytes, getPropertyString, logError, logInfo, nowNanos, setTickPeriod } from "../abi/api";
import { PluginConfig, parseConfig } from "./config";
import { Metrics } from "./metrics";
import { Sender } from "./sender";
import { seedRandom } from "./util";
import { PusherHttp } from "./http";

export class PusherRoot extends RootContext {
  config: PluginConfig | null = null;
  sender: Sender | null = null;
  metrics: Metrics = new Metrics();
  private instance: string | null = null;
  private instanceRead: bool = false;

  /** The gateway instance (node.metadata.POD_NAME, else node.id): node data is fixed for the VM, so it is read once. */
  instanceId(): string | null {
    if (!this.instanceRead) {
      let v = getPropertyString(["node", "metadata", "POD_NAME"]);
      if (v === null) v = getPropertyString(["node", "id"]);
      this.instance = v;
      this.instanceRead = true;
    }
    return this.instance;
  }

  onVmStart(configurationSize: u32): bool {
    seedRandom(nowNanos() ^ (<u64>this.contextId << 32));
    return true;
  }

  onConfigure(configurationSize: u32): bool {
    let text = "";
    if (configurationSize > 0) {
      const b = getBufferBytes(BufferType.PluginConfiguration, 0, configurationSize);
      if (b !== null) text = String.UTF8.decode(b);
    }
    const r = parseConfig(text);
    if (r.config === null) {
      logError("db-log-pusher: invalid configuration: " + r.error);
      return false;
    }
    const c = r.config!;
    this.config = c;
    this.metrics.define();
    this.sender = new Sender(this.contextId, c, this.metrics);
    // Ticks at the gcd of the flush interval and the retry backoff: partial batches leave exactly
    // every flush interval, and due retries at most one tick late.
    let a = c.flushIntervalMs, b = c.retryBackoffMs;
    while (b != 0) { const t = a % b; a = b; b = t; }
    setTickPeriod(<u32>(a < 10 ? 10 : a));
    logInfo("db-log-pusher: sending to cluster " + c.clusterName + " path " + c.collectorPath +
      ", batch_size " + c.batchSize.toString() + ", flush_interval_ms " + c.flushIntervalMs.toString());
    return true;
  }

  onTick(): void {
    if (this.sender !== null) this.sender!.onTick();
  }

  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
    if (this.sender !== null) this.sender!.onResponse(token, numHeaders);
  }

  newHttpContext(contextId: u32): HttpContext | null {
    if (this.config === null) return null;
    return new PusherHttp(contextId, this);
  }

  onDone(): bool {
    // The VM is going away: hand over what is queued; in-flight calls may still complete.
    if (this.sender !== null) this.sender!.flush(true, this.contextId);
    return true;
  }
}
