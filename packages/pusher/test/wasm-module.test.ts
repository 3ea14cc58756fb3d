// The built module must load in Envoy: it may import only proxy-wasm ABI functions (Envoy
// refuses unknown imports such as AssemblyScript's env.abort, env.trace or env.seed), must
// export what the ABI 0.2.1 host looks for, and must stay small.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { PUSHER_WASM_PATH } from '../src/index.js';

// Host functions of proxy-wasm ABI 0.2.1 (proxy-wasm/spec abi-versions/v0.2.1), module "env".
const ABI_IMPORTS = new Set([
  'proxy_log', 'proxy_get_log_level', 'proxy_get_current_time_nanoseconds', 'proxy_set_tick_period_milliseconds',
  'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes', 'proxy_get_buffer_status',
  'proxy_get_header_map_pairs', 'proxy_set_header_map_pairs', 'proxy_get_header_map_value',
  'proxy_add_header_map_value', 'proxy_replace_header_map_value', 'proxy_remove_header_map_value', 'proxy_get_header_map_size',
  'proxy_get_property', 'proxy_set_property', 'proxy_http_call', 'proxy_grpc_call', 'proxy_grpc_stream', 'proxy_grpc_send',
  'proxy_grpc_cancel', 'proxy_grpc_close', 'proxy_get_status', 'proxy_set_effective_context', 'proxy_done',
  'proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric',
  'proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_enqueue_shared_queue', 'proxy_dequeue_shared_queue',
  'proxy_get_shared_data', 'proxy_set_shared_data', 'proxy_send_local_response', 'proxy_continue_stream',
  'proxy_close_stream', 'proxy_call_foreign_function',
]);
const WASI_IMPORTS = new Set(['fd_write', 'clock_time_get', 'random_get', 'environ_sizes_get', 'environ_get', 'proc_exit', 'args_sizes_get', 'args_get']);

const mod = new WebAssembly.Module(readFileSync(PUSHER_WASM_PATH));

test('imports nothing but proxy-wasm ABI (and WASI preview 1) functions', () => {
  const imports = WebAssembly.Module.imports(mod);
  assert.ok(imports.length > 0);
  for (const i of imports) {
    const ok = i.kind === 'function' && ((i.module === 'env' && ABI_IMPORTS.has(i.name)) || (i.module === 'wasi_snapshot_preview1' && WASI_IMPORTS.has(i.name)));
    assert.ok(ok, `unexpected import ${i.module}.${i.name} (${i.kind})`);
  }
});

test('exports the ABI 0.2.1 marker, memory, the allocator, _initialize and the callbacks it handles', () => {
  const names = new Set(WebAssembly.Module.exports(mod).map((e) => e.name));
  for (const n of [
    'memory', '_initialize', 'proxy_abi_version_0_2_1', 'proxy_on_memory_allocate', 'proxy_on_context_create',
    'proxy_on_vm_start', 'proxy_on_configure', 'proxy_on_tick', 'proxy_on_request_headers', 'proxy_on_request_body',
    'proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_http_call_response', 'proxy_on_done',
    'proxy_on_log', 'proxy_on_delete',
  ]) {
    assert.ok(names.has(n), `missing export ${n}`);
  }
  assert.ok(!names.has('_start'), '_start must not be exported next to _initialize');
});

test('the release build is under 200 KB', () => {
  const size = statSync(PUSHER_WASM_PATH).size;
  assert.ok(size < 200 * 1024, `db-log-pusher.wasm is ${size} bytes`);
});
