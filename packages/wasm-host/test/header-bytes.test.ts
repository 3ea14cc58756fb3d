// Header bytes that are not ASCII pass through the gateway and the plugin unchanged, as in Envoy:
// no latin1 or UTF-8 decoding on the way in or out.
// Also: values the host copies into a module land in pages its allocator has just grown.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startGateway } from '../src/index.js';
import { compileWat } from './helpers.js';

const RAW = Buffer.from([0xc3, 0xa9, 0xe9, 0xff]);

describe('header bytes', () => {
  it('hands a plugin the exact request header bytes and sends the bytes it writes', async () => {
    const seen: Record<string, Buffer> = {};
    const upstream = http.createServer((req, res) => {
      for (let i = 0; i < req.rawHeaders.length; i += 2) seen[req.rawHeaders[i].toLowerCase()] = Buffer.from(req.rawHeaders[i + 1], 'latin1');
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const gw = await startGateway({
      listen: 0, upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, logLevel: 'critical',
      plugins: [{ wasm: await compileWat('header-bytes') }],
    });
    try {
      const { port } = new URL(gw.url);
      const reply = await new Promise<Buffer>((resolve, reject) => {
        const sock = net.connect(Number(port), '127.0.0.1');
        const chunks: Buffer[] = [];
        sock.on('data', (c) => chunks.push(c));
        sock.on('end', () => resolve(Buffer.concat(chunks)));
        sock.on('error', reject);
        sock.write(Buffer.concat([Buffer.from('GET / HTTP/1.1\r\nhost: a\r\nconnection: close\r\nx-in: '), RAW, Buffer.from('\r\n\r\n')]));
      });
      assert.deepEqual(seen['x-in'], RAW, 'forwarded unchanged');
      assert.equal(seen['x-seen']?.toString(), 'exact', 'the plugin read the four bytes that arrived');
      assert.deepEqual(seen['x-copy'], RAW, 'the bytes the plugin wrote went out unchanged');
      const at = reply.indexOf('x-out: ');
      assert.ok(at > 0, reply.toString('latin1'));
      assert.deepEqual(reply.subarray(at + 7, at + 11), RAW, 'response header bytes from the plugin reach the client unchanged');
    } finally {
      await gw.close();
      upstream.close();
    }
  });
});

describe('values copied into a module whose memory grows', () => {
  it('are written into, and read back from, the pages its allocator just added', async () => {
    const { WasmHost } = await import('../src/index.js');
    const host = new WasmHost();
    await host.loadPlugin({ wasm: await compileWat('grow-on-alloc') });
    const value = 'v-'.repeat(40);
    const r = await host.runStream({ request: { headers: { ':method': 'GET', ':path': '/', ':authority': 'a', 'x-in': value } } });
    assert.equal(r.upstreamRequest?.headers['x-copy'], value);
    // :method, :path, :authority, x-in and the x-copy just added
    assert.equal(r.upstreamRequest?.headers['x-pairs'], '5');
    await host.close();
  });
});
