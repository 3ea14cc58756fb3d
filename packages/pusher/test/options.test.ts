// The options are declared once (src/options.ts): the plugin's defaults and bounds, the
// TypeScript type and the README tables are generated from it, and the built plugin behaves as
// declared (every bound refused one past it, every default accepted).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { WasmHost, PluginLoadError } from '@db-log-pusher/wasm-host';
import { OPTIONS, collectorClusterName, PUSHER_WASM_PATH } from '../src/index.js';
import { renderAssembly, renderTypes, renderTable, withTable } from '../scripts/options-codegen.js';
import { COLLECTOR_FQDN } from './helpers.js';

const file = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');

test('the generated AssemblyScript, TypeScript and README tables are those of src/options.ts', () => {
  assert.equal(file('../assembly/plugin/options.generated.ts'), renderAssembly(), 'run npm run generate -w packages/pusher');
  assert.equal(file('../src/options.generated.ts'), renderTypes());
  for (const readme of ['../README.md', '../../../README.md']) {
    const text = file(readme);
    assert.equal(withTable(text), text, `${readme}: options table is stale (npm run generate -w packages/pusher)`);
  }
  for (const o of OPTIONS) assert.ok(renderTable().includes(`| \`${o.name}\` |`), o.name);
});

async function loads(configuration: object): Promise<string | null> {
  const host = new WasmHost({ clock: 'manual', logLevel: 'info' });
  try {
    await host.loadPlugin({ wasm: PUSHER_WASM_PATH, configuration });
    return null;
  } catch (e) {
    assert.ok(e instanceof PluginLoadError, String(e));
    return e.message;
  } finally {
    await host.close();
  }
}

test('the built plugin enforces every declared bound and accepts every declared default', async () => {
  const base = { collector_service_name: COLLECTOR_FQDN, collector_port: 80 };
  const defaults: Record<string, unknown> = {};
  for (const o of OPTIONS) if (o.default !== undefined) defaults[o.name] = o.default;
  assert.equal(await loads({ ...base, ...defaults }), null);
  for (const o of OPTIONS.filter((x) => x.min !== undefined && x.max !== undefined)) {
    const step = o.type === 'int' ? 1 : 0.5;
    for (const bad of [o.min! - step, o.max! + step]) {
      const err = await loads({ ...base, [o.name]: bad });
      assert.match(err ?? 'accepted', new RegExp(`${o.name} must be an? (integer|number) between ${o.min} and ${o.max}`), `${o.name}: ${bad}`);
    }
    assert.equal(await loads({ ...base, [o.name]: o.min }), null, `${o.name}: ${o.min}`);
    assert.equal(await loads({ ...base, [o.name]: o.max }), null, `${o.name}: ${o.max}`);
  }
});

test('the collector cluster is named by one rule, shared by the plugin and Node callers', () => {
  assert.equal(collectorClusterName({ collector_service_name: COLLECTOR_FQDN, collector_port: 80 }), `outbound|80||${COLLECTOR_FQDN}`);
  assert.equal(collectorClusterName({ collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_cluster_name: 'c' }), 'c');
});
