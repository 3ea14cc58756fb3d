// Higress per-route rules (`_rules_`), matched the way Higress's own plugins match them
// (higress-group/wasm-go pkg/matcher/rule_matcher.go): each rule has one category, decided by
// the match keys it carries, in this precedence: `_match_route_` (with `_match_service_` too:
// route and service), `_match_domain_`, `_match_service_`, `_match_route_prefix_` (with
// `_match_consumer_` too: route prefix and consumer). Rules are tried in order; the first that
// matches wins; a request that matches none gets the default configuration, or, when there is
// none (`defaultConfigDisable`), is not recorded.
import { JsonValue, JsonKind } from "./json";

export const MATCH_ROUTE = "_match_route_";
export const MATCH_DOMAIN = "_match_domain_";
export const MATCH_SERVICE = "_match_service_";
export const MATCH_ROUTE_PREFIX = "_match_route_prefix_";
export const MATCH_CONSUMER = "_match_consumer_";

export const enum Category { Route, Host, Service, RoutePrefix, RouteAndService, RoutePrefixAndConsumer }

const enum HostMatch { Prefix, Exact, Suffix }

/**
 * What a request is matched on. Until `consumerKnown` (x-mse-consumer is set by auth plugins,
 * which run after this plugin), a route-prefix-and-consumer rule matches on its prefix alone;
 * the stream settles it at on_log.
 */
export class MatchInput {
  consumer: string = "";
  consumerKnown: bool = false;
  constructor(public authority: string, public route: string, public cluster: string) {}
}

export class Rule {
  category: Category = Category.Route;
  routes: string[] = [];
  hostKinds: HostMatch[] = [];
  hosts: string[] = [];
  services: string[] = [];
  routePrefixes: string[] = [];
  consumers: string[] = [];

  matches(m: MatchInput): bool {
    switch (this.category) {
      case Category.Host: return this.hostMatches(stripPort(m.authority));
      case Category.Route: return this.routes.includes(m.route);
      case Category.Service: return serviceMatches(this.services, m.cluster);
      case Category.RouteAndService: return this.routes.includes(m.route) && serviceMatches(this.services, m.cluster);
      case Category.RoutePrefix: return hasPrefix(this.routePrefixes, m.route);
      case Category.RoutePrefixAndConsumer: return hasPrefix(this.routePrefixes, m.route) && (!m.consumerKnown || this.consumers.includes(m.consumer));
    }
    return false;
  }

  private hostMatches(host: string): bool {
    for (let i = 0; i < this.hosts.length; i++) {
      const h = this.hosts[i];
      const k = this.hostKinds[i];
      if (k == HostMatch.Suffix ? host.endsWith(h) : k == HostMatch.Prefix ? host.startsWith(h) : host == h) return true;
    }
    return false;
  }
}

function hasPrefix(prefixes: string[], route: string): bool {
  for (let i = 0; i < prefixes.length; i++) if (route.startsWith(prefixes[i])) return true;
  return false;
}

/** `_match_service_` entries are `fqdn` or `fqdn:port`, against a cluster `outbound|port|subset|fqdn`. */
function serviceMatches(services: string[], cluster: string): bool {
  const parts = cluster.split("|");
  if (parts.length != 4) return false;
  const port = parts[1];
  const fqdn = parts[3];
  for (let i = 0; i < services.length; i++) {
    const s = services[i];
    const colon = s.lastIndexOf(":");
    if (colon >= 0 && fqdn == s.substring(0, colon) && port == s.substring(colon + 1)) return true;
    if (fqdn == s) return true;
  }
  return false;
}

/** The host without its port, as Envoy strips it (an IPv6 literal keeps its brackets). */
export function stripPort(host: string): string {
  const colon = host.lastIndexOf(":");
  if (colon < 0) return host;
  const bracket = host.lastIndexOf("]");
  return bracket < 0 || bracket < colon ? host.substring(0, colon) : host;
}

/** Non-empty strings of a match key (other entries are ignored, as Higress ignores them). */
function names(rule: JsonValue, key: string): string[] {
  const out = new Array<string>();
  const v = rule.get(key);
  if (v === null || v.kind != JsonKind.Array) return out;
  for (let i = 0; i < v.items.length; i++) {
    const it = v.items[i];
    if (it.kind == JsonKind.String && it.str.length > 0 && !out.includes(it.str)) out.push(it.str);
  }
  return out;
}

/** Whether `key` is one of the match keys (they are not plugin options). */
export function isMatchKey(key: string): bool {
  return key == MATCH_ROUTE || key == MATCH_DOMAIN || key == MATCH_SERVICE || key == MATCH_ROUTE_PREFIX || key == MATCH_CONSUMER;
}

/** The rule's match part, or null when it has none of the keys a rule needs. */
export function parseRule(rule: JsonValue): Rule | null {
  const r = new Rule();
  r.routes = names(rule, MATCH_ROUTE);
  r.services = names(rule, MATCH_SERVICE);
  r.routePrefixes = names(rule, MATCH_ROUTE_PREFIX);
  r.consumers = names(rule, MATCH_CONSUMER);
  const domains = names(rule, MATCH_DOMAIN);
  for (let i = 0; i < domains.length; i++) {
    const d = domains[i];
    if (d.startsWith("*")) { r.hostKinds.push(HostMatch.Suffix); r.hosts.push(d.substring(1)); }
    else if (d.endsWith("*")) { r.hostKinds.push(HostMatch.Prefix); r.hosts.push(d.substring(0, d.length - 1)); }
    else { r.hostKinds.push(HostMatch.Exact); r.hosts.push(d); }
  }
  if (r.routes.length > 0) r.category = r.services.length > 0 ? Category.RouteAndService : Category.Route;
  else if (r.hosts.length > 0) r.category = Category.Host;
  else if (r.services.length > 0) r.category = Category.Service;
  else if (r.routePrefixes.length > 0) r.category = r.consumers.length > 0 ? Category.RoutePrefixAndConsumer : Category.RoutePrefix;
  else return null;
  return r;
}
