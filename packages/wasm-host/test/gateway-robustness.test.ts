import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startGateway } from '../src/index.js';
import { compileAs, startServer } from './helpers.js';

function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http.get(url, { headers, agent: false }, (res) => {
      const c: Buffer[] = [];
      res.on('data', (d: Buffer) => c.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(c).toString(), headers: res.headers }));
    }).on('error', reject);
  });
}

describe('gateway robustness', () => {
  let wasm: Uint8Array;
  let upstream: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    wasm = compileAs('conformance');
    upstream = await startServer();
  });
  after(() => upstream.close());

  it('keeps serving after a plugin traps: 503 when fail-closed, pass-through when fail-open', async () => {
    const lines: string[] = [];
    // One worker: a trap fails that worker's VM, as in Envoy; the other workers' VMs go on.
    const closed = await startGateway({ listen: 0, upstream: upstream.url, concurrency: 1, plugins: [{ wasm }], logger: (level, msg) => lines.push(`${level} ${msg}`) });
    const open = await startGateway({ listen: 0, upstream: upstream.url, concurrency: 1, plugins: [{ wasm }], failOpen: true, logger: () => {} });
    try {
      assert.equal((await get(closed.url, { 'x-op': 'trap' })).status, 503);
      assert.equal((await get(closed.url)).status, 503);
      assert.ok(lines.some((l) => l.startsWith('error plugin trapped')));
      assert.ok(lines.some((l) => l.startsWith('critical Plugin')));
      assert.equal((await get(open.url, { 'x-op': 'trap' })).status, 200);
      const r = await get(open.url);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'ok');
      assert.equal(r.headers['x-plugin'], undefined, 'the failed plugin is skipped');
    } finally {
      await closed.close();
      await open.close();
    }
  });

  it('fails only the request when a plugin produces an unsendable header', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, plugins: [{ wasm }], logger: () => {} });
    try {
      assert.equal((await get(gw.url, { 'x-op': 'bad-req-header' })).status, 500);
      assert.equal((await get(gw.url, { 'x-op': 'bad-resp-header' })).status, 502);
      assert.equal((await get(gw.url)).status, 200, 'the gateway still serves');
    } finally {
      await gw.close();
    }
  });

  it('logs a client that goes away mid-response with flag DC and keeps serving', async () => {
    const slow = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const gw = await startGateway({ listen: 0, upstream: `http://127.0.0.1:${(slow.address() as { port: number }).port}`, plugins: [{ wasm }], logger: () => {} });
    try {
      await new Promise<void>((resolve, reject) => {
        const r = http.get(`${gw.url}/stream`, { agent: false }, (res) => {
          res.once('data', () => {
            r.destroy();
            resolve();
          });
        });
        r.on('error', () => {});
        setTimeout(() => reject(new Error('no first chunk')), 10_000).unref();
      });
      const plugin = gw.host.plugins[0];
      for (let i = 0; i < 2000 && !plugin.logs.some((l) => l.message.startsWith('on_log')); i++) await new Promise((r) => setTimeout(r, 5));
      assert.match(plugin.logs.find((l) => l.message.startsWith('on_log'))!.message, /code=200 flags=16384 details=downstream_remote_disconnect/);
      assert.equal(plugin.liveContexts, 1);
    } finally {
      await gw.close();
      slow.closeAllConnections();
      slow.close();
    }
  });

  it('answers 504 when a plugin pauses a request and never resumes it', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, plugins: [{ wasm, configuration: 'ops=pause' }], timeoutMs: 200, logger: () => {} });
    try {
      const r = await get(gw.url);
      assert.equal(r.status, 504);
      assert.equal(r.body, 'upstream request timeout');
      const onLog = gw.host.plugins[0].logs.find((l) => l.message.startsWith('on_log'))!.message;
      assert.match(onLog, /code=504 flags=4 details=upstream_response_timeout/);
    } finally {
      await gw.close();
    }
  });

  it('caps a body held by a pausing plugin (413) and drains in-flight requests on close', async () => {
    const gw = await startGateway({ listen: 0, upstream: upstream.url, plugins: [{ wasm, configuration: 'ops=buffer-req' }], bufferLimitBytes: 1024, logger: () => {} });
    const big = await new Promise<number>((resolve, reject) => {
      const r = http.request(`${gw.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': '4096' } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      r.on('error', reject);
      r.end(Buffer.alloc(4096, 97));
    });
    assert.equal(big, 413);
    await gw.close();

    let release: (() => void) | undefined;
    const slow = http.createServer((_req, res) => {
      release = () => res.end('late but complete');
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    const gw2 = await startGateway({ listen: 0, upstream: `http://127.0.0.1:${(slow.address() as { port: number }).port}`, logger: () => {} });
    const pending = get(gw2.url);
    for (let i = 0; i < 2000 && !release; i++) await new Promise((r) => setTimeout(r, 5));
    const closing = gw2.close();
    release!();
    const r = await pending;
    await closing;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'late but complete');
    slow.close();
  });

  it('runs as a command: --help, a chain from flags and @file config, graceful SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gw-cli-'));
    const wasmPath = join(dir, 'conf.wasm');
    writeFileSync(wasmPath, wasm);
    writeFileSync(join(dir, 'b.cfg'), 'name=second');
    const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.ts');
    const node = [process.execPath, '--conditions=source', '--import', 'tsx', cli];
    const help = await new Promise<string>((resolve) => {
      const p = spawn(node[0], [...node.slice(1), '--help']);
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d));
      p.on('close', () => resolve(out));
    });
    assert.match(help, /--cluster NAME=URL/);
    const proc = spawn(node[0], [...node.slice(1), '--listen', '127.0.0.1:0', '--upstream', upstream.url, '--plugin', wasmPath, '--config', 'name=first', '--plugin', wasmPath, '--config', `@${join(dir, 'b.cfg')}`, '--node-meta', 'POD_NAME=gw-1']);
    let err = '';
    const url = await new Promise<string>((resolve, reject) => {
      proc.stderr.on('data', (d: Buffer) => {
        err += d;
        const m = /"msg":"gateway listening","url":"([^"]+)"/.exec(err);
        if (m) resolve(m[1]);
      });
      proc.on('close', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    try {
      const r = await get(url);
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-plugin'], 'second, first', 'the response path runs the chain in reverse order');
    } catch (e) {
      proc.kill('SIGKILL');
      throw e;
    }
    const code = await new Promise<number | null>((resolve) => {
      proc.removeAllListeners('close');
      proc.on('close', resolve);
      proc.kill('SIGTERM');
    });
    assert.equal(code, 0);
    assert.match(err, /"msg":"gateway stopped"/);
    assert.match(err, /"msg":"request","method":"GET","path":"\/","status":200,"details":"via_upstream","flags":"-"/);
  });
});
