// The two Envoy flavours (properties/tables.ts): Higress's fork, the default, and upstream
// Envoy 1.33+, which serves xds.* instead of the removed names and holds header maps only while
// a filter's callback has them.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type Flavour, PROPERTY_TABLES, WasmHost } from '../src/index.js';
import { compileAs, loggedProp } from './helpers.js';

const GET = { ':method': 'GET', ':path': '/p', ':authority': 'example.com' };
let wasm: Uint8Array;
before(() => {
  wasm = compileAs('conformance');
});

async function props(flavour: Flavour | undefined, names: string[]): Promise<Record<string, string | undefined>> {
  const host = new WasmHost({ flavour, nodeId: 'node-1' });
  const p = await host.loadPlugin({ wasm });
  await host.runStream({
    request: { headers: { ...GET, 'x-op': 'log-props', 'x-props': names.map((n) => n.replaceAll('.', '\0')).join(',') } },
    properties: { route_name: 'r1', cluster_name: 'outbound|80||svc' },
  });
  await host.close();
  return Object.fromEntries(names.map((n) => [n, loggedProp(p.logs, n.replaceAll('.', '\0'))]));
}

const text = (hex: string | undefined) => (hex === undefined || hex === '<missing>' ? hex : Buffer.from(hex, 'hex').toString());

describe('flavours', () => {
  it("higress (default): route_name, cluster_name and node as Higress's fork serves them, no xds.*", async () => {
    const v = await props(undefined, ['route_name', 'cluster_name', 'node.id', 'xds.route_name', 'xds.cluster_name', 'request.time']);
    assert.equal(text(v.route_name), 'r1');
    assert.equal(text(v.cluster_name), 'outbound|80||svc');
    assert.equal(text(v['node.id']), 'node-1');
    assert.equal(v['xds.route_name'], '<missing>');
    assert.equal(v['xds.cluster_name'], '<missing>');
    const t = Buffer.from(v['request.time']!, 'hex');
    assert.equal(t.length, 16, 'absl::Time bytes');
    assert.ok(t.readUInt32LE(8) < 4_000_000_000, 'quarter-nanosecond ticks below one second');
  });

  it('upstream: xds.* serve what the removed names served; the removed names are gone; request.time is int64 ns', async () => {
    const v = await props('upstream', ['xds.route_name', 'xds.cluster_name', 'xds.node.id', 'route_name', 'cluster_name', 'node', 'request.time']);
    assert.equal(text(v['xds.route_name']), 'r1');
    assert.equal(text(v['xds.cluster_name']), 'outbound|80||svc');
    assert.equal(text(v['xds.node.id']), 'node-1');
    for (const gone of ['route_name', 'cluster_name', 'node']) assert.equal(v[gone], '<missing>', gone);
    assert.equal(Buffer.from(v['request.time']!, 'hex').length, 8);
  });

  it('upstream: response headers are gone once on_response_headers continued; request headers stay readable only', async () => {
    const run = async (flavour: Flavour) => {
      const host = new WasmHost({ flavour });
      const p = await host.loadPlugin({ wasm });
      await host.runStream({ request: { headers: { ...GET, 'x-op': 'late-maps' } }, response: { body: 'b' } });
      await host.close();
      return p.logs.find((l) => l.message.startsWith('late maps'))?.message;
    };
    assert.equal(await run('upstream'), 'late maps read-req=0 read-resp=2 write-req=2 write-resp=2');
    assert.equal(await run('higress'), 'late maps read-req=0 read-resp=0 write-req=0 write-resp=2', 'the fork keeps the maps');
  });

  it('every table entry names the Envoy source it follows', () => {
    for (const [flavour, table] of Object.entries(PROPERTY_TABLES)) {
      for (const [path, e] of Object.entries(table)) assert.match(e.source, /^source\/extensions\//, `${flavour} ${path}`);
    }
  });
});
