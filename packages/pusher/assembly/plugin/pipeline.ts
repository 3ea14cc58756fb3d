// What an HTTP stream needs from the VM, handed to it by the root: the configuration that
// applies to it (by Higress rule), the sender of that configuration's collector, and the
// gateway instance. One sender per collector cluster, however many rules name it.
import { logWarn } from "../abi/api";
import { ParsedConfig, PluginConfig } from "./config";
import { Category, MatchInput, Rule } from "./rules";
import { Metrics } from "./metrics";
import { Sender } from "./sender";
import { Instance } from "./xds";

export class Target {
  constructor(public config: PluginConfig, public sender: Sender) {}
}

export class Pipeline {
  global: Target | null = null;
  rules: Rule[] = [];
  /** The target of each rule, by index. */
  targets: Target[] = [];
  senders: Sender[] = [];
  instance: Instance = new Instance();
  /** Whether some rule matches on the consumer, so the stream must read it. */
  needsConsumer: bool = false;

  constructor(parsed: ParsedConfig, rootId: u32, metrics: Metrics) {
    if (parsed.global !== null) this.global = new Target(parsed.global!, this.senderFor(parsed.global!, rootId, metrics));
    for (let i = 0; i < parsed.rules.length; i++) {
      const c = parsed.ruleConfigs[i];
      this.rules.push(parsed.rules[i]);
      this.targets.push(new Target(c, this.senderFor(c, rootId, metrics)));
      if (parsed.rules[i].category == Category.RoutePrefixAndConsumer) this.needsConsumer = true;
    }
  }

  private senderFor(c: PluginConfig, rootId: u32, metrics: Metrics): Sender {
    for (let i = 0; i < this.senders.length; i++) {
      const s = this.senders[i];
      if (s.cluster != c.collectorClusterName) continue;
      if (s.config.collectorPath != c.collectorPath || s.config.batchSize != c.batchSize || s.config.collectorToken != c.collectorToken) {
        logWarn("db-log-pusher: several configurations send to cluster " + s.cluster + "; the first one's collector options apply to all of them");
      }
      return s;
    }
    const s = new Sender(rootId, c, metrics);
    this.senders.push(s);
    return s;
  }

  /** The target of the first rule the request matches, else the default one (null: not recorded). */
  match(m: MatchInput): Target | null {
    for (let i = 0; i < this.rules.length; i++) if (this.rules[i].matches(m)) return this.targets[i];
    return this.global;
  }
}
