// The one declaration of the plugin's options. scripts/gen-options.ts generates from it the
// AssemblyScript defaults and readers (assembly/plugin/options.generated.ts), the TypeScript
// configuration type (src/options.generated.ts) and the options tables of the READMEs.

export type OptionType = 'string' | 'int' | 'number' | 'bool' | 'string[]';

/**
 * `sender`: belongs to the collector a record goes to (one sender per collector cluster; the
 * first configuration naming a cluster sets them). `request`: decided per request, so a Higress
 * rule may set it differently from the defaults.
 */
export type OptionScope = 'sender' | 'request';

export interface OptionSpec {
  name: string;
  type: OptionType;
  scope: OptionScope;
  /** Absent: required, or derived (then `defaultDoc` says from what). */
  default?: string | number | boolean | readonly string[];
  required?: boolean;
  min?: number;
  max?: number;
  /** string[]: entries compared in lower case (header names). */
  lowerCase?: boolean;
  /** How the README states a derived or long default. */
  defaultDoc?: string;
  doc: string;
}

/**
 * The collector cluster's name, as a route referring to the collector's Kubernetes Service makes
 * Higress (and Istio) name it. The one place this rule is written: the plugin's default and
 * `collectorClusterName` below are generated from / built with it.
 */
export const CLUSTER_NAME_TEMPLATE = 'outbound|{port}||{service}';

export const DEFAULT_REDACT_HEADERS = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key',
  'x-auth-token', 'x-access-token', 'x-goog-api-key', 'x-amz-security-token',
] as const;

export const OPTIONS: readonly OptionSpec[] = [
  { name: 'collector_service_name', type: 'string', scope: 'sender', required: true, doc: 'Collector Service FQDN, e.g. `log-collector.higress-system.svc.cluster.local`' },
  { name: 'collector_port', type: 'int', scope: 'sender', required: true, min: 1, max: 65535, doc: 'Collector Service port, e.g. `80`' },
  { name: 'collector_path', type: 'string', scope: 'sender', default: '/', doc: 'Path the records are POSTed to (the collector\'s is `/ingest`)' },
  { name: 'collector_cluster_name', type: 'string', scope: 'sender', defaultDoc: '`outbound|{port}||{fqdn}`', doc: 'Envoy cluster to call; the default is the cluster Higress keeps for a Service a route refers to (see Deployment)' },
  { name: 'collector_authority', type: 'string', scope: 'sender', defaultDoc: '`collector_service_name`', doc: '`:authority` of the calls to the collector' },
  { name: 'collector_token', type: 'string', scope: 'sender', default: '', defaultDoc: 'none', doc: 'Sent as `Authorization: Bearer <token>` (the collector\'s `INGEST_TOKEN`)' },
  { name: 'batch_size', type: 'int', scope: 'sender', default: 100, min: 1, max: 1000, doc: 'Records per call; `1` sends one JSON object per call like the reference' },
  { name: 'flush_interval_ms', type: 'int', scope: 'sender', default: 1000, min: 10, max: 60000, doc: 'A partial batch is sent at least this often' },
  { name: 'timeout_ms', type: 'int', scope: 'sender', default: 5000, min: 1, max: 60000, doc: 'Timeout of each call to the collector' },
  { name: 'max_retries', type: 'int', scope: 'sender', default: 3, min: 0, max: 10, doc: 'Further attempts after a timeout, 5xx or 429' },
  { name: 'retry_backoff_ms', type: 'int', scope: 'sender', default: 500, min: 10, max: 60000, doc: 'First retry delay; doubles per attempt, ±50 % jitter' },
  { name: 'max_pending_records', type: 'int', scope: 'sender', default: 2000, min: 1, max: 100000, doc: 'Records held per VM and collector (queued + retrying + in flight); beyond it new records are dropped and counted' },
  { name: 'max_pending_bytes', type: 'int', scope: 'sender', default: 8388608, min: 1024, max: 1073741824, doc: 'Bytes of queued records per VM and collector; beyond it new records are dropped and counted' },
  { name: 'max_in_flight', type: 'int', scope: 'sender', default: 4, min: 1, max: 64, doc: 'Concurrent calls to the collector per VM' },
  { name: 'drain_timeout_ms', type: 'int', scope: 'sender', default: 3000, min: 0, max: 60000, doc: 'When the VM shuts down (WasmPlugin update, gateway stop): how long it keeps sending what it holds before giving up' },
  { name: 'sample_rate', type: 'number', scope: 'request', default: 1, min: 0, max: 1, doc: 'Fraction of requests recorded (decided at request start)' },
  { name: 'min_response_code', type: 'int', scope: 'request', default: 0, min: 0, max: 999, doc: 'Record only responses with at least this status (e.g. `400`: errors only)' },
  { name: 'skip_paths', type: 'string[]', scope: 'request', default: [], doc: 'Paths not recorded, with everything below them (`/health` skips `/health`, `/health/live`, `/health?x=1`, not `/healthy`)' },
  { name: 'capture_headers', type: 'bool', scope: 'request', default: false, doc: 'Add `req_headers`/`resp_headers` (objects; repeated names joined by `,`)' },
  { name: 'redact_headers', type: 'string[]', scope: 'request', default: DEFAULT_REDACT_HEADERS, lowerCase: true, defaultDoc: DEFAULT_REDACT_HEADERS.map((h) => `\`${h}\``).join(', '), doc: 'Header names whose captured value becomes `[REDACTED]` (replaces the default list)' },
  { name: 'capture_body', type: 'bool', scope: 'request', default: false, doc: 'Add `req_body`/`resp_body`' },
  { name: 'max_body_bytes', type: 'int', scope: 'request', default: 4096, min: 0, max: 1048576, doc: 'Bytes kept of each captured body; the rest is not kept' },
];

/** The collector cluster the plugin calls for a configuration (CLUSTER_NAME_TEMPLATE unless overridden). */
export function collectorClusterName(config: { collector_service_name: string; collector_port: number | string; collector_cluster_name?: string }): string {
  return config.collector_cluster_name ?? CLUSTER_NAME_TEMPLATE.replace('{port}', String(config.collector_port)).replace('{service}', config.collector_service_name);
}
