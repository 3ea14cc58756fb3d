// Node-side helpers for the db-log-pusher plugin: where the built .wasm lives, and its
// configuration type as the WasmPlugin's defaultConfig carries it.
import { fileURLToPath } from 'node:url';

/** Absolute path of the release build, produced by `npm run build -w packages/pusher`. */
export const PUSHER_WASM_PATH: string = fileURLToPath(new URL('../build/db-log-pusher.wasm', import.meta.url));

/** The plugin configuration (see README: Configuration). */
export interface PusherConfig {
  collector_service_name: string;
  collector_port: number;
  collector_path?: string;
  collector_cluster_name?: string;
  collector_authority?: string;
  batch_size?: number;
  flush_interval_ms?: number;
  timeout_ms?: number;
  max_retries?: number;
  retry_backoff_ms?: number;
  max_pending_records?: number;
  max_pending_bytes?: number;
  max_in_flight?: number;
  sample_rate?: number;
  min_response_code?: number;
  skip_paths?: string[];
  capture_headers?: boolean;
  redact_headers?: string[];
  capture_body?: boolean;
  max_body_bytes?: number;
}

/** The Envoy cluster name the plugin calls, as Higress names a service's cluster. */
export function collectorClusterName(config: Pick<PusherConfig, 'collector_service_name' | 'collector_port' | 'collector_cluster_name'>): string {
  return config.collector_cluster_name ?? `outbound|${config.collector_port}||${config.collector_service_name}`;
}
