// The plugin configuration as Higress hands it over: the WasmPlugin's defaultConfig with its
// matchRules as `_rules_`, or with `defaultConfigDisable` only `{"_rules_": [...]}`. Options are
// declared once in src/options.ts (readOptions is generated from it); this adds what a reader
// of one value cannot check, the rules and the derived names. As in Higress's wrapper, a rule's
// configuration is its keys over the defaults' keys, and a default configuration that does not
// parse on its own is set aside when rules exist (they may supply what it lacks).
import { JsonValue, JsonKind, parseJson } from "./json";
import { PluginConfig, readOptions, defaultClusterName } from "./options.generated";
import { Rule, parseRule, isMatchKey } from "./rules";

export { PluginConfig } from "./options.generated";

const RULES = "_rules_";

export class ParsedConfig {
  /** The default configuration; null when requests matching no rule are not recorded. */
  global: PluginConfig | null = null;
  rules: Rule[] = [];
  /** The configuration of each rule, by index. */
  ruleConfigs: PluginConfig[] = [];
  /** Why the configuration is refused ("" when accepted). */
  error: string = "";
  /** Accepted, but worth a log line (the default configuration set aside). */
  warning: string = "";
}

function refused(msg: string): ParsedConfig {
  const p = new ParsedConfig();
  p.error = msg;
  return p;
}

function validHostName(s: string): bool {
  if (s.length == 0 || s.length > 253) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c == 0x2d || c == 0x2e || c == 0x5f;
    if (!ok) return false;
  }
  return true;
}

/** Reads and checks one configuration object; the errors joined, or "" with `into` filled. */
function readConfig(obj: JsonValue, into: PluginConfig): string {
  const errors = new Array<string>();
  readOptions(obj, into, errors);
  const svc = into.collectorServiceName;
  if (svc.length > 0 && !validHostName(svc)) errors.push("collector_service_name must be a host name, got \"" + svc + "\"");
  if (into.collectorPath.length == 0) into.collectorPath = "/";
  if (into.collectorPath.charCodeAt(0) != 0x2f) errors.push("collector_path must start with '/'");
  if (errors.length > 0) return errors.join("; ");
  if (into.collectorClusterName.length == 0) into.collectorClusterName = defaultClusterName(svc, into.collectorPort);
  if (into.collectorAuthority.length == 0) into.collectorAuthority = svc;
  return "";
}

/** An object of `base`'s keys then `over`'s (JsonValue.get finds the last, so `over` wins), without `skip` keys. */
function merged(base: JsonValue, over: JsonValue): JsonValue {
  const m = new JsonValue();
  m.kind = JsonKind.Object;
  for (let k = 0; k < base.keys.length; k++) {
    if (base.keys[k] == RULES) continue;
    m.keys.push(base.keys[k]);
    m.items.push(base.items[k]);
  }
  for (let k = 0; k < over.keys.length; k++) {
    if (isMatchKey(over.keys[k])) continue;
    m.keys.push(over.keys[k]);
    m.items.push(over.items[k]);
  }
  return m;
}

export function parseConfig(text: string): ParsedConfig {
  if (text.trim().length == 0) return refused("configuration is empty: collector_service_name and collector_port are required");
  const root = parseJson(text);
  if (root === null) return refused("configuration is not valid JSON");
  if (root.kind != JsonKind.Object) return refused("configuration must be a JSON object");
  const rulesValue = root.get(RULES);
  if (rulesValue !== null && rulesValue.kind != JsonKind.Null && rulesValue.kind != JsonKind.Array) return refused("_rules_ must be a list");
  const ruleCount = rulesValue === null || rulesValue.kind == JsonKind.Null ? 0 : rulesValue.items.length;

  const out = new ParsedConfig();
  let ownKeys = 0;
  for (let k = 0; k < root.keys.length; k++) if (root.keys[k] != RULES) ownKeys++;
  if (ownKeys > 0 || ruleCount == 0) {
    const g = new PluginConfig();
    const err = readConfig(root, g);
    if (err.length == 0) out.global = g;
    else if (ruleCount == 0) return refused(err);
    else out.warning = "default configuration set aside, only requests matching a rule are recorded: " + err;
  }
  for (let i = 0; i < ruleCount; i++) {
    const rv = rulesValue!.items[i];
    const at = "_rules_[" + i.toString() + "]";
    if (rv.kind != JsonKind.Object) return refused(at + " must be an object");
    const rule = parseRule(rv);
    if (rule === null) return refused(at + " needs one of _match_route_, _match_domain_, _match_service_ or _match_route_prefix_");
    const c = new PluginConfig();
    const err = readConfig(merged(root, rv), c);
    if (err.length > 0) return refused(at + ": " + err);
    out.rules.push(rule);
    out.ruleConfigs.push(c);
  }
  return out;
}
