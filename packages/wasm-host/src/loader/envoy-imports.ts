// Every function Envoy links into a proxy-wasm module, with the signature it exports it with:
// the one list from which the loader checks imports. Follows proxy-wasm-cpp-host
// include/proxy-wasm/exports.h (FOR_ALL_HOST_FUNCTIONS, FOR_ALL_HOST_FUNCTIONS_ABI_SPECIFIC,
// FOR_ALL_WASI_FUNCTIONS) and WasmBase::registerCallbacks in src/wasm.cc: a `Word` is i32 in a
// wasm32 module, int64_t/uint64_t are i64. ABI-specific functions exist only for their ABI;
// `start` marks what answers while _initialize/main/_start run (WasmBase::startVm's
// restricted-callback list), everything else traps then.

import type { AbiVersion } from '../abi.js';
import type { FuncSig, ValType } from './module-info.js';

export interface EnvoyImport {
  module: 'env' | 'wasi_snapshot_preview1' | 'wasi_unstable';
  name: string;
  sig: FuncSig;
  /** ABI versions that have it; undefined: every version. */
  abi?: AbiVersion[];
  /** Answers during module start (WasmBase::startVm). */
  start?: boolean;
}

/** "iiI:i" = (i32, i32, i64) -> i32; "i:" = (i32) -> void. */
function sig(s: string): FuncSig {
  const [p, r] = s.split(':');
  const t = (c: string): ValType => (c === 'I' ? 'i64' : 'i32');
  return { params: [...p].map(t), results: [...r].map(t) };
}

const PROXY: Array<[string, string, AbiVersion[]?]> = [
  ['log', 'iii:i'], ['get_status', 'iii:i'], ['set_property', 'iiii:i'], ['get_property', 'iiii:i'],
  ['send_local_response', 'iiiiiiii:i'], ['get_shared_data', 'iiiii:i'], ['set_shared_data', 'iiiii:i'],
  ['register_shared_queue', 'iii:i'], ['resolve_shared_queue', 'iiiii:i'], ['dequeue_shared_queue', 'iii:i'],
  ['enqueue_shared_queue', 'iii:i'], ['get_header_map_value', 'iiiii:i'], ['add_header_map_value', 'iiiii:i'],
  ['replace_header_map_value', 'iiiii:i'], ['remove_header_map_value', 'iii:i'], ['get_header_map_pairs', 'iii:i'],
  ['set_header_map_pairs', 'iii:i'], ['get_header_map_size', 'ii:i'], ['get_buffer_status', 'iii:i'],
  ['get_buffer_bytes', 'iiiii:i'], ['set_buffer_bytes', 'iiiii:i'], ['http_call', 'iiiiiiiiii:i'],
  ['grpc_call', 'iiiiiiiiiiii:i'], ['grpc_stream', 'iiiiiiiii:i'], ['grpc_close', 'i:i'], ['grpc_cancel', 'i:i'],
  ['grpc_send', 'iiii:i'], ['set_tick_period_milliseconds', 'i:i'], ['get_current_time_nanoseconds', 'i:i'],
  ['define_metric', 'iiii:i'], ['increment_metric', 'iI:i'], ['record_metric', 'iI:i'], ['get_metric', 'ii:i'],
  ['set_effective_context', 'i:i'], ['done', ':i'], ['call_foreign_function', 'iiiiii:i'],
  // ABI-specific (WasmBase::registerCallbacks).
  ['get_configuration', 'ii:i', ['0.1.0']], ['continue_request', ':i', ['0.1.0']], ['continue_response', ':i', ['0.1.0']],
  ['clear_route_cache', ':i', ['0.1.0']], ['continue_stream', 'i:i', ['0.2.0', '0.2.1']], ['close_stream', 'i:i', ['0.2.0', '0.2.1']],
  ['get_log_level', 'i:i', ['0.2.1']],
];

const WASI: Array<[string, string, boolean?]> = [
  ['fd_write', 'iiii:i', true], ['fd_read', 'iiii:i'], ['fd_seek', 'iIii:i'], ['fd_close', 'i:i'], ['fd_fdstat_get', 'ii:i'],
  ['environ_get', 'ii:i', true], ['environ_sizes_get', 'ii:i', true], ['args_get', 'ii:i', true], ['args_sizes_get', 'ii:i', true],
  ['clock_time_get', 'iIi:i', true], ['random_get', 'ii:i', true], ['proc_exit', 'i:'], ['path_open', 'iiiiiIIii:i'],
  ['fd_prestat_get', 'ii:i', true], ['fd_prestat_dir_name', 'iii:i', true],
];

export const ENVOY_IMPORTS: EnvoyImport[] = [
  ...PROXY.map(([n, s, abi]): EnvoyImport => ({ module: 'env', name: `proxy_${n}`, sig: sig(s), abi, start: n === 'log' })),
  // Beyond the ABI, registered for every module (WasmBase::registerCallbacks).
  { module: 'env', name: 'pthread_equal', sig: sig('ii:i') },
  { module: 'env', name: 'emscripten_notify_memory_growth', sig: sig('i:') },
  ...(['wasi_snapshot_preview1', 'wasi_unstable'] as const).flatMap((module) =>
    WASI.map(([n, s, start]): EnvoyImport => ({ module, name: n, sig: sig(s), start: start === true }))),
];

const BY_KEY = new Map(ENVOY_IMPORTS.map((i) => [`${i.module}.${i.name}`, i]));

/** What Envoy links for module.name under this ABI, or undefined: the module is refused. */
export function envoyImport(module: string, name: string, abi: AbiVersion): EnvoyImport | undefined {
  const i = BY_KEY.get(`${module}.${name}`);
  return i && (!i.abi || i.abi.includes(abi)) ? i : undefined;
}
