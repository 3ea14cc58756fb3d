// The plugin configuration (WasmPlugin defaultConfig / rule config), parsed and validated in
// on_configure. The seed's three options come first; every other option is optional.
import { JsonValue, JsonKind, parseJson } from "./json";

export const DEFAULT_REDACT: string[] = [
  "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key",
  "x-auth-token", "x-access-token", "x-goog-api-key", "x-amz-security-token",
];

export class PluginConfig {
  collectorServiceName: string = "";
  collectorPort: i32 = 0;
  collectorPath: string = "/";
  /** Envoy cluster of the collector; `outbound|{port}||{fqdn}` as Higress names services. */
  clusterName: string = "";
  /** :authority of the calls to the collector. */
  collectorAuthority: string = "";
  batchSize: i32 = 100;
  flushIntervalMs: i32 = 1000;
  timeoutMs: i32 = 5000;
  maxRetries: i32 = 3;
  retryBackoffMs: i32 = 500;
  maxPendingRecords: i32 = 2000;
  maxPendingBytes: i64 = 8388608;
  maxInFlight: i32 = 4;
  sampleRate: f64 = 1.0;
  minResponseCode: i32 = 0;
  skipPaths: string[] = [];
  captureHeaders: bool = false;
  redactHeaders: string[] = DEFAULT_REDACT;
  captureBody: bool = false;
  maxBodyBytes: i32 = 4096;
  /** Higress per-route rules (`_rules_`): request-level options for matching requests. */
  rules: ConfigRule[] = [];
}

/** One Higress rule: where it applies, and the configuration (defaults + the rule's keys). */
export class ConfigRule {
  routes: string[] = [];
  domains: string[] = [];
  services: string[] = [];
  constructor(public config: PluginConfig) {}

  matches(route: string, authority: string, service: string): bool {
    for (let i = 0; i < this.routes.length; i++) if (this.routes[i] == route) return true;
    for (let i = 0; i < this.services.length; i++) if (this.services[i] == service) return true;
    if (this.domains.length > 0) {
      let host = authority.toLowerCase();
      const colon = host.lastIndexOf(":");
      if (colon > 0 && !host.endsWith("]")) host = host.substring(0, colon);
      for (let i = 0; i < this.domains.length; i++) {
        const d = this.domains[i];
        if (d == host) return true;
        if (d.startsWith("*") && host.endsWith(d.substring(1))) return true;
      }
    }
    return false;
  }
}

export class ConfigResult {
  constructor(public config: PluginConfig | null, public error: string) {}
}

function fail(msg: string): ConfigResult {
  return new ConfigResult(null, msg);
}

function readInt(obj: JsonValue, key: string, min: i32, max: i32, fallback: i32, errors: string[]): i32 {
  const v = obj.get(key);
  if (v === null || v.kind == JsonKind.Null) return fallback;
  let n: f64 = NaN;
  if (v.kind == JsonKind.Number) n = v.num;
  else if (v.kind == JsonKind.String && v.str.length > 0) n = parseFloat(v.str); // YAML often quotes numbers
  if (isNaN(n) || Math.floor(n) != n || n < <f64>min || n > <f64>max) {
    errors.push(key + " must be an integer between " + min.toString() + " and " + max.toString());
    return fallback;
  }
  return <i32>n;
}

function readBool(obj: JsonValue, key: string, fallback: bool, errors: string[]): bool {
  const v = obj.get(key);
  if (v === null || v.kind == JsonKind.Null) return fallback;
  if (v.kind == JsonKind.Bool) return v.bool;
  errors.push(key + " must be true or false");
  return fallback;
}

function readString(obj: JsonValue, key: string, fallback: string, errors: string[]): string {
  const v = obj.get(key);
  if (v === null || v.kind == JsonKind.Null) return fallback;
  if (v.kind == JsonKind.String) return v.str;
  errors.push(key + " must be a string");
  return fallback;
}

function readStringList(obj: JsonValue, key: string, fallback: string[], lower: bool, errors: string[]): string[] {
  const v = obj.get(key);
  if (v === null || v.kind == JsonKind.Null) return fallback;
  if (v.kind != JsonKind.Array) { errors.push(key + " must be a list of strings"); return fallback; }
  const out = new Array<string>();
  for (let i = 0; i < v.items.length; i++) {
    const it = v.items[i];
    if (it.kind != JsonKind.String) { errors.push(key + " must be a list of strings"); return fallback; }
    out.push(lower ? it.str.toLowerCase() : it.str);
  }
  return out;
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

export function parseConfig(text: string): ConfigResult {
  if (text.trim().length == 0) return fail("configuration is empty: collector_service_name and collector_port are required");
  const root = parseJson(text);
  if (root === null) return fail("configuration is not valid JSON");
  if (root.kind != JsonKind.Object) return fail("configuration must be a JSON object");
  const r = parseConfigValue(root);
  if (r.config === null) return r;
  const rules = root.get("_rules_");
  if (rules === null || rules.kind == JsonKind.Null) return r;
  if (rules.kind != JsonKind.Array) return fail("_rules_ must be a list");
  for (let i = 0; i < rules.items.length; i++) {
    const rule = rules.items[i];
    if (rule.kind != JsonKind.Object) return fail("_rules_[" + i.toString() + "] must be an object");
    // The rule's keys override the defaults (JsonValue.get finds the last key first).
    const merged = new JsonValue();
    merged.kind = JsonKind.Object;
    for (let k = 0; k < root.keys.length; k++) {
      if (root.keys[k] == "_rules_") continue;
      merged.keys.push(root.keys[k]);
      merged.items.push(root.items[k]);
    }
    for (let k = 0; k < rule.keys.length; k++) {
      merged.keys.push(rule.keys[k]);
      merged.items.push(rule.items[k]);
    }
    const rc = parseConfigValue(merged);
    if (rc.config === null) return fail("_rules_[" + i.toString() + "]: " + rc.error);
    const cr = new ConfigRule(rc.config!);
    const errors = new Array<string>();
    cr.routes = readStringList(rule, "_match_route_", [], false, errors);
    cr.domains = readStringList(rule, "_match_domain_", [], true, errors);
    cr.services = readStringList(rule, "_match_service_", [], false, errors);
    if (errors.length > 0) return fail("_rules_[" + i.toString() + "]: " + errors.join("; "));
    r.config!.rules.push(cr);
  }
  return r;
}

function parseConfigValue(root: JsonValue): ConfigResult {
  const errors = new Array<string>();
  const c = new PluginConfig();

  const svc = root.get("collector_service_name");
  if (svc === null || svc.kind != JsonKind.String || svc.str.length == 0) {
    errors.push("collector_service_name is required (the collector's service FQDN, e.g. log-collector.higress-system.svc.cluster.local)");
  } else if (!validHostName(svc.str)) {
    errors.push("collector_service_name must be a host name, got \"" + svc.str + "\"");
  } else {
    c.collectorServiceName = svc.str;
  }
  const port = root.get("collector_port");
  if (port === null || port.kind == JsonKind.Null) errors.push("collector_port is required (e.g. 80)");
  else c.collectorPort = readInt(root, "collector_port", 1, 65535, 0, errors);

  c.collectorPath = readString(root, "collector_path", "/", errors);
  if (c.collectorPath.length == 0) c.collectorPath = "/";
  if (c.collectorPath.charCodeAt(0) != 0x2f) errors.push("collector_path must start with '/'");
  c.clusterName = readString(root, "collector_cluster_name", "", errors);
  c.collectorAuthority = readString(root, "collector_authority", "", errors);
  c.batchSize = readInt(root, "batch_size", 1, 1000, c.batchSize, errors);
  c.flushIntervalMs = readInt(root, "flush_interval_ms", 10, 60000, c.flushIntervalMs, errors);
  c.timeoutMs = readInt(root, "timeout_ms", 1, 60000, c.timeoutMs, errors);
  c.maxRetries = readInt(root, "max_retries", 0, 10, c.maxRetries, errors);
  c.retryBackoffMs = readInt(root, "retry_backoff_ms", 10, 60000, c.retryBackoffMs, errors);
  c.maxPendingRecords = readInt(root, "max_pending_records", 1, 100000, c.maxPendingRecords, errors);
  c.maxPendingBytes = <i64>readInt(root, "max_pending_bytes", 1024, 1073741824, <i32>c.maxPendingBytes, errors);
  c.maxInFlight = readInt(root, "max_in_flight", 1, 64, c.maxInFlight, errors);
  c.minResponseCode = readInt(root, "min_response_code", 0, 999, c.minResponseCode, errors);
  c.skipPaths = readStringList(root, "skip_paths", c.skipPaths, false, errors);
  c.captureHeaders = readBool(root, "capture_headers", c.captureHeaders, errors);
  c.redactHeaders = readStringList(root, "redact_headers", c.redactHeaders, true, errors);
  c.captureBody = readBool(root, "capture_body", c.captureBody, errors);
  c.maxBodyBytes = readInt(root, "max_body_bytes", 0, 1048576, c.maxBodyBytes, errors);

  const rate = root.get("sample_rate");
  if (rate !== null && rate.kind != JsonKind.Null) {
    if (rate.kind != JsonKind.Number || rate.num < 0 || rate.num > 1) errors.push("sample_rate must be a number between 0 and 1");
    else c.sampleRate = rate.num;
  }

  if (errors.length > 0) return fail(errors.join("; "));
  if (c.clusterName.length == 0) {
    c.clusterName = "outbound|" + c.collectorPort.toString() + "||" + c.collectorServiceName;
  }
  if (c.collectorAuthority.length == 0) c.collectorAuthority = c.collectorServiceName;
  return new ConfigResult(c, "");
}
