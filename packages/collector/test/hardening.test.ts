// Safe by default: values no gateway sends, nesting, encodings, tokens before bodies, methods,
// caching and the dashboard's headers. Ingest cases run on both ways a request is served: the
// direct node:http path (a Content-Length body) and the Fastify route (a chunked body).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { startCollector, type RunningCollector } from '../src/index.js';
import { dashboardDir } from '../src/routes/dashboard.js';
import { getJson, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';

let dir: string;
let c: RunningCollector;

before(async () => {
  dir = tempDir();
  c = await startCollector(testConfig(dir, { INGEST_TOKEN: 'in-secret' }));
});
after(async () => {
  await c.close();
  removeDir(dir);
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  json: any;
}

type Way = 'direct' | 'chunked';
const WAYS: Way[] = ['direct', 'chunked'];

/** POSTs with node:http: with a Content-Length (the direct path) or chunked (the Fastify route). */
function send(url: string, body: string | Buffer, way: Way, headers: Record<string, string> = {}): Promise<Answer> {
  const u = new URL(url);
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', authorization: 'Bearer in-secret', ...(way === 'direct' ? { 'content-length': String(buf.length) } : { 'transfer-encoding': 'chunked' }), ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown = text;
          try {
            json = JSON.parse(text);
          } catch {
            /* not JSON */
          }
          resolve({ status: res.statusCode!, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    req.end(buf);
  });
}

async function stored(requestId: string): Promise<any[]> {
  const r = await getJson(`${c.url}/query?request_id=${encodeURIComponent(requestId)}`);
  assert.equal(r.status, 200);
  return r.json.logs;
}

test('values no gateway sends are a 400 naming the field, on both ingest paths', async () => {
  const dayMs = 24 * 3600_000;
  const cases: [string, Record<string, unknown>, string][] = [
    ['negative bytes_sent', { bytes_sent: -1 }, 'bytes_sent'],
    ['negative bytes_received', { bytes_received: -5 }, 'bytes_received'],
    ['negative duration', { duration: -12 }, 'duration'],
    ['negative tokens', { input_tokens: -3 }, 'input_tokens'],
    ['a size past 2^53', { bytes_sent: 2 ** 60 }, 'bytes_sent'],
    ['response_code 42', { response_code: 42 }, 'response_code'],
    ['response_code 600', { response_code: 600 }, 'response_code'],
    ['response_code -1', { response_code: -1 }, 'response_code'],
    ['start_time in 1999', { start_time: '1999-12-31T23:59:59.999Z' }, 'start_time'],
    ['start_time in 1970, not canonical', { start_time: '1970-01-01 00:00:00' }, 'start_time'],
    ['start_time two days ahead', { start_time: new Date(Date.now() + 2 * dayMs).toISOString() }, 'start_time'],
  ];
  for (const way of WAYS) {
    for (const [name, extra, field] of cases) {
      const r = await send(`${c.url}/ingest`, JSON.stringify(smallRecord(`range-${way}`, extra)), way);
      assert.equal(r.status, 400, `${name} (${way}): ${JSON.stringify(r.json)}`);
      assert.equal(r.json.status, 'error');
      assert.equal(r.json.param, field, name);
      assert.match(r.json.error, new RegExp(`record 1: ${field}`), name);
    }
    // The edges a gateway does send are taken.
    const edges = [
      smallRecord(`edge-${way}-0`, { response_code: 0, bytes_sent: 0, duration: 0 }),
      smallRecord(`edge-${way}-1`, { response_code: 100 }),
      smallRecord(`edge-${way}-2`, { response_code: 599, start_time: '2000-01-01T00:00:00.000Z' }),
      smallRecord(`edge-${way}-3`, { start_time: new Date(Date.now() + 3600_000).toISOString() }),
    ];
    assert.equal((await send(`${c.url}/ingest`, JSON.stringify(edges), way)).status, 200);
  }
  assert.deepEqual(await stored('range-direct'), [], 'nothing of a refused request is stored');
});

/** `{"a":{"a":…{}}}` nested `depth` levels deep. */
function nested(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
}

test('ai_log nested 5,000 levels deep is a 400 naming ai_log, never a 5xx; as an object or as a string', async () => {
  for (const way of WAYS) {
    const rec = JSON.stringify(smallRecord(`deep-${way}`));
    const asObject = rec.replace(/}$/, `,"ai_log":${nested(5000)}}`);
    const asString = rec.replace(/}$/, `,"ai_log":${JSON.stringify(nested(5000))}}`);
    for (const [name, body] of [['object', asObject], ['string', asString], ['second of an array', `[${rec},${asObject}]`]]) {
      const r = await send(`${c.url}/ingest`, body, way);
      assert.equal(r.status, 400, `${name} (${way}): ${JSON.stringify(r.json)}`);
      assert.equal(r.json.param, 'ai_log');
      assert.match(r.json.error, /ai_log nests objects and arrays more than 64 levels/);
    }
    // An unknown field is ignored however deep it goes; 64 levels of ai_log are stored.
    const ok = rec.replace(/}$/, `,"extra":${nested(5000)},"ai_log":${nested(64)}}`);
    assert.equal((await send(`${c.url}/ingest`, ok, way)).status, 200);
  }
  const rows = await waitFor('the records nested within bounds', async () => {
    const logs = await stored('deep-chunked');
    return logs.length === 1 ? logs : undefined;
  });
  assert.equal(JSON.stringify(rows[0].ai_log), nested(64));
});

test('invalid UTF-8 is stored as U+FFFD and counted, never refused', async () => {
  const before = Number(/^log_collector_invalid_utf8_requests_total (\d+)/m.exec(await (await fetch(`${c.url}/metrics`)).text())?.[1] ?? NaN);
  assert.equal(before, 0, 'the counter is exported');
  for (const way of WAYS) {
    const rec = JSON.stringify(smallRecord(`utf8-${way}`, { route: 'AAA' }));
    const body = Buffer.from(rec);
    // Overwrite "AAA" with a lone continuation byte, a truncated 3-byte sequence and 0xFF.
    const at = body.indexOf('AAA');
    body[at] = 0x80;
    body[at + 1] = 0xe2;
    body[at + 2] = 0xff;
    const r = await send(`${c.url}/ingest`, body, way);
    assert.equal(r.status, 200, JSON.stringify(r.json));
  }
  for (const way of WAYS) {
    const logs = await waitFor(`utf8-${way} stored`, async () => ((await stored(`utf8-${way}`)).length === 1 ? stored(`utf8-${way}`) : undefined));
    assert.equal(logs[0].route, '\uFFFD\uFFFD\uFFFD');
  }
  const m = await (await fetch(`${c.url}/metrics`)).text();
  assert.match(m, /^log_collector_invalid_utf8_requests_total 2$/m);
});

test('a charset other than UTF-8 and any Content-Encoding are 415, on both ingest paths', async () => {
  const body = JSON.stringify(smallRecord('enc-1'));
  const cases: [string, Record<string, string>, RegExp][] = [
    ['latin1', { 'content-type': 'application/json; charset=ISO-8859-1' }, /charset "iso-8859-1"/],
    ['utf-16 ndjson', { 'content-type': 'application/x-ndjson; charset=utf-16' }, /charset "utf-16"/],
    ['gzip', { 'content-encoding': 'gzip' }, /Content-Encoding "gzip"/],
    ['br', { 'content-encoding': 'br' }, /Content-Encoding "br"/],
  ];
  for (const way of WAYS) {
    for (const [name, headers, msg] of cases) {
      const r = await send(`${c.url}/ingest`, body, way, headers);
      assert.equal(r.status, 415, `${name} (${way}): ${JSON.stringify(r.json)}`);
      assert.equal(r.json.status, 'error');
      assert.match(r.json.error, msg);
    }
    // UTF-8 by any spelling is fine.
    assert.equal((await send(`${c.url}/ingest`, body, way, { 'content-type': 'application/json; charset="UTF-8"' })).status, 200);
    assert.equal((await send(`${c.url}/ingest`, body, way, { 'content-encoding': 'identity' })).status, 200);
  }
});

/** Sends only the headers of a request announcing a 9 MB body and resolves with the first answer's text. */
function headersOnly(url: string, headers: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = net.connect(Number(u.port), u.hostname);
    let got = '';
    s.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n\r\n')) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
    s.write(`POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n`);
    setTimeout(() => {
      s.destroy();
      resolve(got);
    }, 5000).unref();
  });
}

test('a wrong token is a 401 from the headers alone: the 9 MB body is never waited for', async () => {
  for (const framing of ['Content-Length: 9000000\r\n', 'Transfer-Encoding: chunked\r\n']) {
    for (const auth of ['', 'Authorization: Bearer wrong\r\n']) {
      const answer = await headersOnly(c.url, framing + auth);
      assert.match(answer, /^HTTP\/1\.1 401 /, `${framing.trim()} ${auth.trim() || 'no token'}: answered before the body (got ${JSON.stringify(answer.slice(0, 60))})`);
      assert.match(answer, /\r\nconnection: close\r\n/i, 'the unread body is not kept alive');
    }
  }
  // With the right token the body is awaited as usual: no answer while it has not come.
  assert.equal(await headersOnly(c.url, 'Content-Length: 9000000\r\nAuthorization: Bearer in-secret\r\n'), '');
});

test('wrong methods are 405 with Allow, unknown paths 404, both in the error format', async () => {
  const cases: [string, string, string][] = [
    ['GET', '/ingest', 'POST'],
    ['PUT', '/ingest', 'POST'],
    ['POST', '/query', 'GET, HEAD'],
    ['DELETE', '/stats', 'GET, HEAD'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['PUT', '/ready', 'GET, HEAD'],
  ];
  for (const [method, path, allow] of cases) {
    const r = await fetch(`${c.url}${path}`, { method, headers: { authorization: 'Bearer in-secret' } });
    assert.equal(r.status, 405, `${method} ${path}`);
    assert.equal(r.headers.get('allow'), allow, `${method} ${path}`);
    const json = (await r.json()) as { status: string; error: string };
    assert.equal(json.status, 'error');
    assert.match(json.error, new RegExp(`method ${method} is not allowed on ${path}`));
  }
  for (const [method, path] of [['GET', '/nowhere.js'], ['POST', '/nowhere']]) {
    const r = await fetch(`${c.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(r.status, 404, `${method} ${path}`);
    assert.deepEqual(await r.json(), { status: 'error', error: `no route ${method} ${path}` });
  }
});

test('an end before the start is the same 400 on /query and /stats', async () => {
  const range = 'start_time=2026-05-02T00:00:00Z&end=2026-05-01T00:00:00Z';
  const q = await getJson(`${c.url}/query?${range}`);
  const s = await getJson(`${c.url}/stats?${range}`);
  assert.equal(q.status, 400);
  assert.equal(s.status, 400);
  assert.deepEqual(q.json, { status: 'error', error: 'end is before start_time', param: 'end' });
  assert.deepEqual(s.json, q.json);
  assert.equal((await getJson(`${c.url}/query?start=2026-05-02&end=2026-05-01`)).json.param, 'end');
});

test('records are never cached: Cache-Control no-store on /query and /stats, errors included', async () => {
  for (const path of ['/query', '/stats', '/query?page=x', '/stats?interval=x']) {
    const r = await fetch(`${c.url}${path}`);
    assert.equal(r.headers.get('cache-control'), 'no-store', path);
  }
});

test('the dashboard: CSP with frame-ancestors, nosniff, and no source maps shipped', async () => {
  const root = dashboardDir();
  assert.ok(existsSync(`${root}/index.html`), `the dashboard is not built in ${root}: run \`npm run build\``);
  const r = await fetch(`${c.url}/`, { headers: { accept: 'text/html' } });
  assert.equal(r.status, 200);
  const csp = r.headers.get('content-security-policy') ?? '';
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  const assets = readdirSync(`${root}/assets`);
  assert.deepEqual(assets.filter((f) => f.endsWith('.map')), [], 'no .map files in the build');
  for (const js of assets.filter((f) => f.endsWith('.js'))) {
    assert.doesNotMatch(readFileSync(`${root}/assets/${js}`, 'utf8'), /sourceMappingURL/, js);
    const a = await fetch(`${c.url}/assets/${js}`);
    assert.equal(a.headers.get('x-content-type-options'), 'nosniff');
    await a.arrayBuffer();
    assert.equal((await fetch(`${c.url}/assets/${js}.map`)).status, 404);
  }
});
