// A load generator shaped like a gateway's connection pool: many keep-alive HTTP/1.1
// connections, one request in flight on each (Envoy does not pipeline), every request its own
// body. Written by hand because on a shared 2-core machine the generator's CPU is taken from the
// server under test: undici and autocannon spend about 35 and 25 µs of CPU per request here,
// this about 14, since it writes each request as one string and reads only the status line and
// Content-Length of the answers (the servers it drives always send one). Debian's wrk spends
// about a fifth less again; the collector bench uses it when installed (bench/wrk-load.ts).
import net from 'node:net';

export interface KeepAliveLoad {
  /** Base URL (http only): http://host:port */
  url: string;
  path: string;
  contentType: string;
  connections: number;
  /** Requests to send in all. */
  total: number;
  /** The body of request `i` (0-based). */
  body: (i: number) => string;
  /** Stop starting new requests at this Date.now(). */
  deadline?: number;
}

export interface KeepAliveResult {
  /** Requests answered 2xx. */
  ok: number;
  /** Requests sent. */
  sent: number;
  /** First answer that was not 2xx, if any: its status line. */
  firstFailure?: string;
  seconds: number;
}

const HEAD_END = '\r\n\r\n';
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;

/** Sends `total` POSTs over `connections` keep-alive connections and resolves once all are answered. */
export function runKeepAliveLoad(opts: KeepAliveLoad): Promise<KeepAliveResult> {
  const u = new URL(opts.url);
  const port = Number(u.port || 80);
  const head = `POST ${opts.path} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: ${opts.contentType}\r\ncontent-length: `;
  const deadline = opts.deadline ?? Infinity;
  let next = 0;
  let answered = 0;
  let ok = 0;
  let firstFailure: string | undefined;
  const start = performance.now();

  return new Promise((resolve, reject) => {
    let open = 0;
    const finishIfDone = () => {
      if (open === 0) resolve({ ok, sent: next, firstFailure, seconds: (performance.now() - start) / 1000 });
    };
    for (let c = 0; c < Math.min(opts.connections, opts.total); c++) {
      open++;
      const socket = net.connect(port, u.hostname);
      socket.setNoDelay(true);
      // latin1 keeps one character per byte, so Content-Length counts characters.
      socket.setEncoding('latin1');
      let buf = '';
      let waiting = false;
      const send = () => {
        if (next >= opts.total || Date.now() >= deadline) {
          socket.end();
          return;
        }
        const body = opts.body(next++);
        waiting = true;
        socket.write(`${head}${Buffer.byteLength(body)}\r\n\r\n${body}`);
      };
      socket.on('connect', send);
      socket.on('data', (d: string) => {
        buf += d;
        for (;;) {
          const h = buf.indexOf(HEAD_END);
          if (h < 0) return;
          const m = CONTENT_LENGTH.exec(buf.slice(0, h + 2));
          if (!m) {
            socket.destroy(new Error(`answer without Content-Length: ${buf.slice(0, buf.indexOf('\r\n'))}`));
            return;
          }
          const end = h + HEAD_END.length + Number(m[1]);
          if (buf.length < end) return;
          const status = buf.charCodeAt(9); // "HTTP/1.1 2xx": the status's first digit
          if (status === 50) ok++;
          else firstFailure ??= buf.slice(0, buf.indexOf('\r\n'));
          answered++;
          waiting = false;
          buf = buf.slice(end);
          send();
        }
      });
      socket.on('error', (e) => reject(new Error(`load connection failed after ${answered} answers: ${e.message}`)));
      socket.on('close', () => {
        if (waiting) return reject(new Error(`the server closed a connection with a request in flight (after ${answered} answers)`));
        open--;
        finishIfDone();
      });
    }
    if (opts.total <= 0) resolve({ ok: 0, sent: 0, seconds: 0 });
  });
}
