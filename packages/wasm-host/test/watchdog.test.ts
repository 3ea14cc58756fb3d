import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startSupervisedGateway } from '../src/watchdog.js';
import { compileWat, startServer } from './helpers.js';

function get(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });
}

describe('watchdog', () => {
  it('replaces a gateway blocked by a looping plugin and disables that plugin', async () => {
    const upstream = await startServer();
    after(() => upstream.close());
    const dir = mkdtempSync(join(tmpdir(), 'gw-watchdog-'));
    const wasmPath = join(dir, 'loop.wasm');
    writeFileSync(wasmPath, await compileWat('loop'));
    const lines: string[] = [];
    const gw = await startSupervisedGateway(
      { listen: 0, upstream: upstream.url, plugins: [{ wasm: wasmPath }], failOpen: true, logLevel: 'error' },
      500,
      (level, msg, fields) => lines.push(`${level} ${msg} ${JSON.stringify(fields)}`),
    );
    try {
      const url = gw.url;
      await assert.rejects(() => get(url), 'the blocked request is lost with the worker');
      for (let i = 0; i < 2000 && gw.restarts() === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(gw.restarts(), 1);
      assert.equal(gw.url, url, 'the replacement listens on the same address');
      assert.equal(await get(gw.url), 200, 'the looping plugin is skipped (fail open)');
      assert.ok(lines.some((l) => l.startsWith('critical Plugin loop disabled: it blocked the gateway for more than 500 ms in proxy_on_request_headers')), lines.join('\n'));
      assert.ok(lines.some((l) => l.includes('gateway thread blocked') && l.includes('"plugin":"loop"') && l.includes('proxy_on_request_headers')), lines.join('\n'));
    } finally {
      await gw.close();
    }
  });
});
