/**
 * The one list of access-log fields. Every other artefact — TypeScript types, the JSON Schema
 * the collector validates with, the DDL of each database, the README's field table and the
 * plugin's field order — is derived from this array. Add a field here and nowhere else.
 *
 * Order matters: it is the column order of the seed's `access_logs` table (seed/access_logs.sql),
 * followed by the optional capture fields that the seed's reference plugin can also send, then
 * the optional AI usage fields (cache, reasoning, latency, session, cost).
 */

/** JSON type of a field on the wire. */
export type JsonType = 'string' | 'integer' | 'number' | 'object' | 'string-map';

/** SQL column type per supported database dialect. */
export interface SqlTypes {
  readonly mysql: string;
  readonly sqlite: string;
  readonly postgres: string;
  readonly clickhouse: string;
}

export interface FieldDef {
  readonly name: string;
  readonly json: JsonType;
  readonly sql: SqlTypes;
  /** One line for the docs; for seed columns it is the seed's column COMMENT. */
  readonly doc: string;
  /** Where the plugin takes the value from (Envoy header, property, or derivation). */
  readonly source: string;
  /** True for the columns of the seed's table; false for the optional columns (capture, AI usage). */
  readonly seed: boolean;
  /** NOT NULL in the seed's table. */
  readonly required?: boolean;
  /** Upper bound in characters for strings (the column's VARCHAR size); longer values are cut. */
  readonly maxLength?: number;
  /** Has a secondary index (the seed's indexes, plus those the query/stats API relies on). */
  readonly indexed?: boolean;
  /** Also stored as a key of the seed's index list but only created on tables we create. */
  readonly extraIndex?: boolean;
}

const varchar = (n: number): SqlTypes => ({
  mysql: `VARCHAR(${n})`,
  sqlite: 'TEXT',
  postgres: `VARCHAR(${n})`,
  clickhouse: 'Nullable(String)',
});
const text: SqlTypes = { mysql: 'TEXT', sqlite: 'TEXT', postgres: 'TEXT', clickhouse: 'Nullable(String)' };
const mediumText: SqlTypes = { mysql: 'MEDIUMTEXT', sqlite: 'TEXT', postgres: 'TEXT', clickhouse: 'Nullable(String)' };
const int: SqlTypes = { mysql: 'INT', sqlite: 'INTEGER', postgres: 'INTEGER', clickhouse: 'Nullable(Int32)' };
const bigint: SqlTypes = { mysql: 'BIGINT', sqlite: 'INTEGER', postgres: 'BIGINT', clickhouse: 'Nullable(Int64)' };
const json: SqlTypes = { mysql: 'JSON', sqlite: 'TEXT', postgres: 'JSONB', clickhouse: 'Nullable(String)' };
/**
 * Money: exact decimals with 10 places (a token at $0.01 per 1M tokens is 1e-8) and 8 before
 * the point. SQLite has no decimal type; REAL keeps 15 significant digits, plenty for a sum.
 */
const money: SqlTypes = { mysql: 'DECIMAL(18,10)', sqlite: 'REAL', postgres: 'NUMERIC(18,10)', clickhouse: 'Nullable(Decimal(18, 10))' };

export const FIELDS = [
  {
    name: 'start_time', json: 'string', required: true, seed: true, indexed: true,
    // DATETIME is the seed's type (second precision); tables we create keep milliseconds.
    sql: { mysql: 'DATETIME(3) NOT NULL', sqlite: 'TEXT NOT NULL', postgres: 'TIMESTAMP(3) NOT NULL', clickhouse: "DateTime64(3, 'UTC')" },
    doc: 'Request start time (RFC 3339, UTC, milliseconds)', source: 'proxy_get_current_time_nanoseconds at request headers',
  },
  { name: 'trace_id', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'X-B3-TraceID', source: 'request header x-b3-traceid' },
  { name: 'authority', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'Host/Authority', source: 'request header :authority' },
  { name: 'method', json: 'string', sql: varchar(10), maxLength: 10, seed: true, indexed: true, doc: 'HTTP method', source: 'request header :method' },
  { name: 'path', json: 'string', sql: text, maxLength: 65535, seed: true, doc: 'Request path', source: 'request header :path' },
  { name: 'protocol', json: 'string', sql: varchar(20), maxLength: 20, seed: true, doc: 'HTTP protocol version', source: 'property request.protocol' },
  { name: 'request_id', json: 'string', sql: varchar(255), maxLength: 255, seed: true, extraIndex: true, doc: 'X-Request-ID', source: 'request header x-request-id' },
  { name: 'user_agent', json: 'string', sql: text, maxLength: 65535, seed: true, doc: 'User-Agent', source: 'request header user-agent' },
  { name: 'x_forwarded_for', json: 'string', sql: text, maxLength: 65535, seed: true, doc: 'X-Forwarded-For', source: 'request header x-forwarded-for' },
  { name: 'response_code', json: 'integer', sql: int, seed: true, indexed: true, doc: 'Response status code', source: 'property response.code' },
  { name: 'response_flags', json: 'string', sql: varchar(100), maxLength: 100, seed: true, doc: 'Envoy response flags', source: 'property response.flags (bitmask → short codes such as UH, UF, NR)' },
  { name: 'response_code_details', json: 'string', sql: text, maxLength: 65535, seed: true, doc: 'Response code details', source: 'property response.code_details' },
  { name: 'bytes_received', json: 'integer', sql: bigint, seed: true, doc: 'Bytes received', source: 'property request.total_size' },
  { name: 'bytes_sent', json: 'integer', sql: bigint, seed: true, doc: 'Bytes sent', source: 'property response.total_size' },
  { name: 'duration', json: 'integer', sql: bigint, seed: true, doc: 'Request duration (ms)', source: 'current time at on_log minus start_time' },
  { name: 'upstream_cluster', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Upstream cluster name', source: 'property cluster_name' },
  { name: 'upstream_host', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Upstream host', source: 'property upstream.address' },
  { name: 'upstream_service_time', json: 'string', sql: varchar(50), maxLength: 50, seed: true, doc: 'Upstream service time', source: 'response header x-envoy-upstream-service-time' },
  { name: 'upstream_transport_failure_reason', json: 'string', sql: text, maxLength: 65535, seed: true, doc: 'Upstream transport failure reason', source: 'property upstream.transport_failure_reason' },
  { name: 'upstream_local_address', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Upstream local address', source: 'property upstream.local_address' },
  { name: 'downstream_local_address', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Downstream local address', source: 'property destination.address' },
  { name: 'downstream_remote_address', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Downstream remote address', source: 'property source.address' },
  { name: 'route_name', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'Route name', source: 'property route_name' },
  { name: 'requested_server_name', json: 'string', sql: varchar(255), maxLength: 255, seed: true, doc: 'SNI', source: 'property connection.requested_server_name' },
  { name: 'istio_policy_status', json: 'string', sql: varchar(100), maxLength: 100, seed: true, doc: 'Istio policy status', source: 'not set by the plugin (kept for the seed table)' },
  { name: 'ai_log', json: 'object', sql: json, seed: true, doc: 'WASM AI log', source: 'property wasm.ai_log (ai-statistics filter state), unwrapped when double-encoded' },
  { name: 'instance_id', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'Instance ID', source: 'property node.metadata.POD_NAME, else node.id' },
  { name: 'api', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'API name', source: 'route name model-api-{name}-{n}, else ai_log.api' },
  { name: 'model', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'Model name', source: 'ai_log.model, else response body, else request body' },
  { name: 'consumer', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'Consumer information', source: 'request header x-mse-consumer' },
  { name: 'route', json: 'string', sql: varchar(255), maxLength: 255, seed: true, extraIndex: true, doc: 'Route name', source: 'property route_name' },
  { name: 'service', json: 'string', sql: varchar(255), maxLength: 255, seed: true, extraIndex: true, doc: 'Service name', source: 'property cluster_name → service FQDN' },
  { name: 'mcp_server', json: 'string', sql: varchar(255), maxLength: 255, seed: true, indexed: true, doc: 'MCP Server', source: 'Higress MCP headers/properties' },
  { name: 'mcp_tool', json: 'string', sql: varchar(255), maxLength: 255, seed: true, extraIndex: true, doc: 'MCP Tool', source: 'Higress MCP headers, or JSON-RPC tools/call request body' },
  { name: 'input_tokens', json: 'integer', sql: bigint, seed: true, doc: 'Number of input tokens', source: 'ai_log, else response usage (JSON or SSE)' },
  { name: 'output_tokens', json: 'integer', sql: bigint, seed: true, doc: 'Number of output tokens', source: 'ai_log, else response usage (JSON or SSE)' },
  { name: 'total_tokens', json: 'integer', sql: bigint, seed: true, doc: 'Total number of tokens', source: 'ai_log, else response usage (JSON or SSE)' },
  { name: 'req_headers', json: 'string-map', sql: json, seed: false, doc: 'Captured request headers (opt-in, secrets redacted)', source: 'request headers' },
  { name: 'resp_headers', json: 'string-map', sql: json, seed: false, doc: 'Captured response headers (opt-in, secrets redacted)', source: 'response headers' },
  { name: 'req_body', json: 'string', sql: mediumText, maxLength: 1_048_576, seed: false, doc: 'Captured request body (opt-in, truncated to a byte limit)', source: 'request body chunks' },
  { name: 'resp_body', json: 'string', sql: mediumText, maxLength: 1_048_576, seed: false, doc: 'Captured response body (opt-in, truncated to a byte limit)', source: 'response body chunks' },
  // AI usage. Conventions: input_tokens includes cached reads and cache writes (OpenAI's way;
  // Anthropic's separate counts are added to it); reasoning and thought tokens are part of output_tokens.
  { name: 'cached_tokens', json: 'integer', sql: bigint, seed: false, doc: 'Input tokens read from the prompt cache (part of input_tokens)', source: 'ai_log input_token_details.cached_tokens / cache_read_input_tokens, else response usage details (JSON or SSE)' },
  { name: 'cache_write_tokens', json: 'integer', sql: bigint, seed: false, doc: 'Input tokens written to the prompt cache (part of input_tokens)', source: 'ai_log cache_creation_input_tokens, else response usage (Anthropic)' },
  { name: 'reasoning_tokens', json: 'integer', sql: bigint, seed: false, doc: 'Reasoning (thought) tokens (part of output_tokens)', source: 'ai_log output_token_details.reasoning_tokens, else response usage details (JSON or SSE)' },
  { name: 'llm_first_token_duration', json: 'integer', sql: bigint, seed: false, doc: 'Time to the first token of the response (ms)', source: 'ai_log llm_first_token_duration, else the first body chunk of an SSE response' },
  { name: 'llm_service_duration', json: 'integer', sql: bigint, seed: false, doc: 'Time the model took to answer (ms)', source: 'ai_log llm_service_duration, else the end of the response' },
  { name: 'response_type', json: 'string', sql: varchar(16), maxLength: 16, seed: false, doc: 'stream or normal', source: 'ai_log response_type, else the response content-type' },
  { name: 'session_id', json: 'string', sql: varchar(255), maxLength: 255, seed: false, extraIndex: true, doc: 'Conversation/session id', source: 'ai_log session_id' },
  { name: 'cost', json: 'number', sql: money, seed: false, doc: "Request cost in the price table's currency (null: model without a price)", source: 'computed by the collector from tokens and its price table' },
] as const satisfies readonly FieldDef[];

export type Field = (typeof FIELDS)[number];
export type FieldName = Field['name'];

/** Names of all wire fields, in order. */
export const FIELD_NAMES: readonly FieldName[] = FIELDS.map((f) => f.name);

/** Fields that the seed's table has (seed/access_logs.sql). */
export const SEED_FIELDS: readonly Field[] = FIELDS.filter((f) => f.seed);

/** Optional fields absent from the seed's table (capture, AI usage); the collector adds them when it may. */
export const OPTIONAL_FIELDS: readonly Field[] = FIELDS.filter((f) => !f.seed);

const BY_NAME = new Map<string, Field>(FIELDS.map((f) => [f.name, f]));

export function fieldByName(name: string): Field | undefined {
  return BY_NAME.get(name);
}

/** Path of the seed's MySQL table definition, verbatim (as users created it). */
export const SEED_TABLE_SQL_PATH: string = new URL('../seed/access_logs.sql', import.meta.url).pathname;
