// The properties each Envoy flavour serves, one table per flavour, each entry with its type (how
// its value is encoded, see encode.ts) and the Envoy source it follows. Paths are dotted here;
// plugins give them NUL-separated.
//
// - higress: Higress's Envoy fork (github.com/higress-group/envoy, Envoy 1.27 based), as Higress
//   gateways run it: the wasm-specific top-level names (`node`, `route_name`, `cluster_name`, ...)
//   of Envoy's source/extensions/common/wasm/context.cc (PROPERTY_TOKENS), no `xds.*`.
// - upstream: Envoy 1.33 and later, where those names were removed ("Remove previously deprecated
//   xDS attributes from get_property", 1.33.0 release notes) in favour of the `xds.*` attributes
//   of source/extensions/filters/common/expr/context.cc (XdsWrapper).
// A path not in the table reads filter state `wasm.<path>` (Context::findValue's fallback).

export type PropertyType = 'string' | 'bytes' | 'int64' | 'uint64' | 'double' | 'bool' | 'timestamp' | 'duration' | 'absl_time' | 'absl_duration';

export type Flavour = 'higress' | 'upstream';
export const FLAVOURS: Flavour[] = ['higress', 'upstream'];

export interface PropertyEntry {
  type: PropertyType | 'map' | 'message';
  /** The Envoy source this entry follows. */
  source: string;
  /** Name of the value in the host when it differs (`xds.route_name` is `route_name`). */
  value?: string;
}

const EXPR = 'source/extensions/filters/common/expr/context.cc';
const WASM = 'source/extensions/common/wasm/context.cc';

function group(prefix: string, wrapper: string, entries: Record<string, PropertyEntry['type']>): Record<string, PropertyEntry> {
  return Object.fromEntries(Object.entries(entries).map(([k, type]) => [`${prefix}.${k}`, { type, source: `${EXPR} ${wrapper}` }]));
}

const TLS = (): Record<string, PropertyEntry['type']> => ({
  tls_version: 'string', subject_local_certificate: 'string', subject_peer_certificate: 'string',
  dns_san_local_certificate: 'string', dns_san_peer_certificate: 'string', uri_san_local_certificate: 'string',
  uri_san_peer_certificate: 'string', sha256_peer_certificate_digest: 'string',
});

/** Request, response, connection, upstream, source and destination attributes: the same in both. */
const ATTRIBUTES = (time: PropertyType, duration: PropertyType): Record<string, PropertyEntry> => ({
  request: { type: 'map', source: `${EXPR} RequestWrapper` },
  ...group('request', 'RequestWrapper', {
    path: 'string', url_path: 'string', host: 'string', scheme: 'string', method: 'string', headers: 'map',
    referer: 'string', useragent: 'string', time, id: 'string', protocol: 'string', query: 'string',
    duration, size: 'int64', total_size: 'int64',
  }),
  response: { type: 'map', source: `${EXPR} ResponseWrapper` },
  ...group('response', 'ResponseWrapper', {
    code: 'int64', code_details: 'string', flags: 'uint64', grpc_status: 'int64', headers: 'map', trailers: 'map',
    size: 'int64', total_size: 'int64', backend_latency: duration,
  }),
  connection: { type: 'map', source: `${EXPR} ConnectionWrapper` },
  ...group('connection', 'ConnectionWrapper', {
    id: 'uint64', mtls: 'bool', requested_server_name: 'string', ...TLS(),
    termination_details: 'string', transport_failure_reason: 'string',
  }),
  upstream: { type: 'map', source: `${EXPR} UpstreamWrapper` },
  ...group('upstream', 'UpstreamWrapper', {
    address: 'string', port: 'int64', ...TLS(), local_address: 'string',
    transport_failure_reason: 'string', request_attempt_count: 'uint64',
  }),
  source: { type: 'map', source: `${EXPR} PeerWrapper(local=false)` },
  ...group('source', 'PeerWrapper', { address: 'string', port: 'int64' }),
  destination: { type: 'map', source: `${EXPR} PeerWrapper(local=true)` },
  ...group('destination', 'PeerWrapper', { address: 'string', port: 'int64' }),
  filter_state: { type: 'map', source: `${WASM} Context::findValue FILTER_STATE` },
  plugin_name: { type: 'string', source: `${WASM} PLUGIN_NAME` },
  plugin_root_id: { type: 'string', source: `${WASM} PLUGIN_ROOT_ID` },
  plugin_vm_id: { type: 'string', source: `${WASM} PLUGIN_VM_ID` },
  connection_id: { type: 'uint64', source: `${WASM} CONNECTION_ID` },
});

/** Names of values the xds/wasm-specific properties read. */
const XDS = {
  node: 'message', cluster_name: 'string', cluster_metadata: 'message', route_name: 'string', route_metadata: 'message',
  listener_direction: 'int64', listener_metadata: 'message', upstream_host_metadata: 'message',
} as const;

export const PROPERTY_TABLES: Record<Flavour, Record<string, PropertyEntry>> = {
  // request.time / request.duration as DESIGN.md records for deployed (Higress) Envoys: the raw
  // absl::Time / absl::Duration bytes.
  higress: {
    ...ATTRIBUTES('absl_time', 'absl_duration'),
    ...Object.fromEntries(Object.entries(XDS).map(([k, type]) => [k, { type, source: `${WASM} Context::findValue ${k.toUpperCase()}` }])),
  },
  // serializeValue: kTimestamp -> absl::ToUnixNanos, kDuration -> absl::ToInt64Nanoseconds.
  upstream: {
    ...ATTRIBUTES('timestamp', 'duration'),
    ...Object.fromEntries(Object.entries(XDS).map(([k, type]) => [`xds.${k}`, { type, value: k, source: `${EXPR} XdsWrapper ${k}` }])),
    'xds.virtual_host_name': { type: 'string', source: `${EXPR} XdsWrapper virtual_host_name` },
    'xds.filter_chain_name': { type: 'string', source: `${EXPR} XdsWrapper filter_chain_name` },
  },
};

/** The table entry for a dotted path, or a map/message prefix entry covering it (node.id, node.metadata.X). */
export function lookupProperty(flavour: Flavour, path: string): { entry: PropertyEntry; name: string; rest: string[] } | undefined {
  const table = PROPERTY_TABLES[flavour];
  const direct = table[path];
  if (direct) return { entry: direct, name: direct.value ?? path, rest: [] };
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    const e = table[head];
    if (e && (e.type === 'map' || e.type === 'message')) return { entry: e, name: e.value ?? head, rest: parts.slice(i) };
  }
  return undefined;
}

/** Type of each scalar property of a flavour (what a plain test value is encoded as). */
export function propertyTypes(flavour: Flavour): Record<string, PropertyType> {
  const out: Record<string, PropertyType> = {};
  for (const [k, e] of Object.entries(PROPERTY_TABLES[flavour])) if (e.type !== 'map' && e.type !== 'message') out[k] = e.type;
  return out;
}

const XDS_NAMES = new Set(Object.keys(XDS));

/**
 * A plugin's path in the host's own names, or undefined when the flavour has no such property
 * (Context::findValue then reads filter state `wasm.<name>` for a one-segment path).
 */
export function canonicalPath(flavour: Flavour, segments: string[]): string[] | undefined {
  const [top, sub] = segments;
  if (flavour === 'upstream') {
    if (XDS_NAMES.has(top)) return undefined; // removed in Envoy 1.33
    if (top === 'xds') {
      if (sub !== undefined && XDS_NAMES.has(sub)) return segments.slice(1);
      if (sub === 'virtual_host_name' || sub === 'filter_chain_name') return [`xds.${sub}`, ...segments.slice(2)];
      return undefined;
    }
    return segments;
  }
  return top === 'xds' ? undefined : segments;
}

/** A dotted override path (test API, gateway) in the host's own names. */
export function canonicalDotted(flavour: Flavour, path: string): string {
  if (flavour === 'upstream' && path.startsWith('xds.')) {
    const rest = path.slice(4);
    const head = rest.split('.')[0];
    if (XDS_NAMES.has(head)) return rest;
  }
  return path;
}
