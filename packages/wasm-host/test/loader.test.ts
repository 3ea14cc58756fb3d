// Loading as proxy-wasm-cpp-host's WasmBase does (src/wasm.cc, src/v8/v8.cc link()): imports
// are checked against what Envoy exports, by name, ABI version and signature.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PluginLoadError, WasmHost } from '../src/index.js';
import { watToWasm } from './helpers.js';

/** A minimal plugin with extra imports and extra module fields. */
function plugin(opts: { imports?: string; abi?: string; body?: string; memory?: string; alloc?: string }): Promise<Uint8Array> {
  return watToWasm(`(module
    ${opts.imports ?? ''}
    ${opts.memory ?? '(memory (export "memory") 1)'}
    ${opts.alloc ?? '(func (export "malloc") (param i32) (result i32) (i32.const 1024))'}
    (func (export "proxy_abi_version_${(opts.abi ?? '0.2.1').replaceAll('.', '_')}"))
    (func (export "proxy_on_vm_start") (param i32 i32) (result i32) (i32.const 1))
    (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
    ${opts.body ?? ''})`);
}

async function refused(wasm: Uint8Array, message: RegExp): Promise<void> {
  const host = new WasmHost();
  await assert.rejects(() => host.loadPlugin({ wasm }), (e: unknown) => e instanceof PluginLoadError && message.test(e.message));
  await host.close();
}

async function loads(wasm: Uint8Array): Promise<void> {
  const host = new WasmHost();
  await host.loadPlugin({ wasm });
  await host.close();
}

describe('loading as Envoy does', () => {
  it('refuses an import whose signature differs from the one Envoy exports', async () => {
    await refused(
      await plugin({ imports: '(import "env" "proxy_log" (func (param i32 i32) (result i32)))' }),
      /import type mismatch for function env\.proxy_log, want: i32 i32 -> i32, but host exports: i32 i32 i32 -> i32/,
    );
    await refused(await plugin({ imports: '(import "env" "proxy_increment_metric" (func (param i32 i32) (result i32)))' }), /type mismatch .*proxy_increment_metric/);
    await refused(await plugin({ imports: '(import "wasi_snapshot_preview1" "proc_exit" (func (param i32) (result i32)))' }), /type mismatch .*proc_exit/);
  });

  it('links ABI-specific functions only for their ABI version', async () => {
    await refused(await plugin({ imports: '(import "env" "proxy_continue_request" (func (result i32)))' }), /missing import: env\.proxy_continue_request/);
    await refused(await plugin({ abi: '0.1.0', imports: '(import "env" "proxy_continue_stream" (func (param i32) (result i32)))' }), /missing import: env\.proxy_continue_stream/);
    await refused(await plugin({ abi: '0.2.0', imports: '(import "env" "proxy_get_log_level" (func (param i32) (result i32)))' }), /missing import: env\.proxy_get_log_level/);
    await loads(await plugin({ abi: '0.1.0', imports: '(import "env" "proxy_clear_route_cache" (func (result i32)))' }));
    await loads(await plugin({ imports: '(import "env" "proxy_get_log_level" (func (param i32) (result i32)))' }));
  });

  it('refuses proxy_* and WASI functions Envoy does not have, and imported globals', async () => {
    await refused(await plugin({ imports: '(import "env" "proxy_get_secret" (func (param i32) (result i32)))' }), /missing import: env\.proxy_get_secret/);
    await refused(await plugin({ imports: '(import "wasi_snapshot_preview1" "poll_oneoff" (func (param i32 i32 i32 i32) (result i32)))' }), /missing import: wasi_snapshot_preview1\.poll_oneoff/);
    await refused(await plugin({ imports: '(import "env" "g" (global i32))' }), /missing import: env\.g/);
  });

  it('links an imported memory with the limits the module declares', async () => {
    await loads(await plugin({ imports: '(import "env" "memory" (memory 2 4))', memory: '' }));
  });

  it('answers only the restricted host functions while _initialize runs', async () => {
    const startBody = (call: string) => `(func (export "_initialize") ${call})`;
    await loads(await plugin({
      imports: '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))',
      body: startBody('(drop (call $log (i32.const 2) (i32.const 0) (i32.const 0)))'),
    }));
    await refused(await plugin({
      imports: '(import "env" "proxy_get_property" (func $gp (param i32 i32 i32 i32) (result i32)))',
      body: startBody('(drop (call $gp (i32.const 0) (i32.const 0) (i32.const 16) (i32.const 20)))'),
    }), /env\.proxy_get_property failed: not allowed while the module starts/);
  });

  it('runs main after _initialize, and requires malloc or proxy_on_memory_allocate', async () => {
    const host = new WasmHost();
    const p = await host.loadPlugin({ wasm: await plugin({
      imports: '(import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))',
      body: '(data (i32.const 0) "initmain") (func (export "_initialize") (drop (call $log (i32.const 2) (i32.const 0) (i32.const 4)))) (func (export "main") (param i32 i32) (result i32) (drop (call $log (i32.const 2) (i32.const 4) (i32.const 4))) (i32.const 0))',
    }) });
    assert.deepEqual(p.logs.map((l) => l.message), ['init', 'main']);
    await host.close();
    await refused(await plugin({ alloc: '' }), /missing malloc/);
  });
});
