// Node-side helpers for the db-log-pusher plugin: where the built .wasm lives, and its
// configuration types as the WasmPlugin's defaultConfig carries them (generated from options.ts).
import { fileURLToPath } from 'node:url';
import type { PusherOptions } from './options.generated.js';

export type { PusherOptions } from './options.generated.js';
export { OPTIONS, CLUSTER_NAME_TEMPLATE, collectorClusterName, type OptionSpec } from './options.js';

/** Absolute path of the release build, produced by `npm run build -w packages/pusher`. */
export const PUSHER_WASM_PATH: string = fileURLToPath(new URL('../build/db-log-pusher.wasm', import.meta.url));

/** The match keys of a Higress rule (`matchRules` become `_rules_`; see README: Per-route rules). */
export interface PusherRuleMatch {
  _match_route_?: string[];
  _match_domain_?: string[];
  _match_service_?: string[];
  _match_route_prefix_?: string[];
  _match_consumer_?: string[];
}

/** One rule: its match keys and the options that differ from the defaults. */
export type PusherRule = PusherRuleMatch & Partial<PusherOptions>;

/** The configuration: the defaults with optional rules, or (defaultConfigDisable) rules alone. */
export type PusherConfig = (PusherOptions & { _rules_?: PusherRule[] }) | { _rules_: PusherRule[] };
