// The same load as keepalive-load.ts (keep-alive connections, one request in flight on each,
// every body its own record) from wrk, when Debian's wrk is installed: it spends about a fifth
// less CPU per request than the Node generator on this machine (26 against 33 µs in the collector
// bench), CPU that the server under test and its database then have. wrk runs for a time rather
// than a count of requests.
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface WrkLoad {
  url: string;
  path: string;
  contentType: string;
  connections: number;
  seconds: number;
  /** The body is `${prefix}${tag}-${n}${suffix}` for n = 1, 2, ... */
  prefix: string;
  suffix: string;
  tag: string;
}

export interface WrkResult {
  /** Requests answered (any status). */
  sent: number;
  /** Requests answered 2xx. */
  ok: number;
  firstFailure?: string;
  seconds: number;
  /** CPU seconds wrk spent. */
  cpuSeconds: number;
}

const SCRIPT = fileURLToPath(new URL('./wrk-post.lua', import.meta.url));

/** True when a usable wrk is on PATH. */
export function wrkAvailable(): boolean {
  const r = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  return r.error === undefined && /wrk/.test(`${r.stdout}${r.stderr}`);
}

export function runWrkLoad(o: WrkLoad): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--timeout', '30s', '-s', SCRIPT, `${o.url}${o.path}`];
    const child = spawn('wrk', args, {
      env: { ...process.env, BODY_PREFIX: o.prefix, BODY_SUFFIX: o.suffix, BODY_TAG: o.tag, BODY_PATH: o.path, BODY_TYPE: o.contentType },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const m = /^WRK_RESULT (\{.*\})$/m.exec(out);
      if (code !== 0 || !m) return reject(new Error(`wrk exited with ${code}: ${out.trim()}`));
      const r = JSON.parse(m[1]) as { requests: number; non2xx: number; socketErrors: number; durationUs: number; cpuTicks: number };
      const failures = [r.non2xx && `${r.non2xx} answers were not 2xx`, r.socketErrors && `${r.socketErrors} socket errors`].filter(Boolean);
      resolve({
        sent: r.requests,
        ok: r.requests - r.non2xx,
        firstFailure: failures.length ? failures.join(', ') : undefined,
        seconds: r.durationUs / 1e6,
        cpuSeconds: r.cpuTicks / 100, // USER_HZ on Linux
      });
    });
  });
}
