// Test helpers: compile the conformance modules from source (AssemblyScript with asc, WAT with
// the wabt package) into a temp dir keyed by content hash, and small loopback servers.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
export const MODULES = join(dirname(fileURLToPath(import.meta.url)), 'modules');
const CACHE = join(tmpdir(), 'db-log-pusher-wasm-host-modules');

function hashOf(files: string[]): string {
  const h = createHash('sha256');
  for (const f of files) h.update(f).update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** Compiles test/modules/<name>.ts with asc 0.28 (stub runtime, no env.abort import). */
export function compileAs(name: string): Uint8Array {
  const src = join(MODULES, `${name}.ts`);
  const libs = readdirSync(join(MODULES, 'lib')).map((f) => join(MODULES, 'lib', f));
  const out = join(CACHE, `${name}-${hashOf([src, ...libs])}.wasm`);
  if (!existsSync(out)) {
    mkdirSync(CACHE, { recursive: true });
    const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync(process.execPath, [asc, src, '-o', tmp, '--runtime', 'stub', '--use', 'abort=', '-O1', '--noColors'], { stdio: ['ignore', 'ignore', 'pipe'] });
    renameSync(tmp, out); // atomic: test files compiling concurrently never read a partial module
  }
  return readFileSync(out);
}

/** Compiles test/modules/<name>.wat with the wabt npm package; edit may rewrite the source first. */
export async function compileWat(name: string, edit: (src: string) => string = (s) => s): Promise<Uint8Array> {
  return watToWasm(edit(readFileSync(join(MODULES, `${name}.wat`), 'utf8')), name);
}

/** Compiles WAT source text with the wabt npm package. */
export async function watToWasm(src: string, name = 'inline'): Promise<Uint8Array> {
  const wabtInit = require('wabt') as () => Promise<{ parseWat(n: string, s: string): { toBinary(o: object): { buffer: Uint8Array }; destroy(): void } }>;
  const wabt = await wabtInit();
  const mod = wabt.parseWat(`${name}.wat`, src);
  try {
    return mod.toBinary({}).buffer;
  } finally {
    mod.destroy();
  }
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  chunks: number;
}

/** A loopback HTTP server that records requests and answers with handler (default 200 "ok"). */
export async function startServer(
  handler?: (req: Recorded, res: http.ServerResponse) => void | Promise<void>,
): Promise<{ url: string; port: number; requests: Recorded[]; close(): Promise<void> }> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      n++;
    });
    req.on('end', () => {
      const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString(), chunks: n };
      requests.push(rec);
      if (handler) void handler(rec, res);
      else {
        res.setHeader('content-type', 'text/plain');
        res.end('ok');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export function i64(buf: Uint8Array | string): bigint {
  const b = typeof buf === 'string' ? Buffer.from(buf, 'hex') : Buffer.from(buf);
  return b.readBigInt64LE(0);
}

/** Finds "prop NAME=HEX" lines logged by the conformance module. */
export function loggedProp(logs: { message: string }[], name: string): string | undefined {
  const prefix = `prop ${name}=`;
  const line = [...logs].reverse().find((l) => l.message.startsWith(prefix));
  return line?.message.slice(prefix.length);
}
