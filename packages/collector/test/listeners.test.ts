// What the collector's ports serve and to whom: request timeouts against slow clients, the
// separate INGEST_PORT, METRICS_TOKEN, and the loopback default with its warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { loadConfig, startCollector } from '../src/index.js';
import { getJson, post, removeDir, smallRecord, spawnCollector, tempDir, testConfig, waitFor } from './helpers.js';

/** A client that sends `head` and then nothing more; `closed` tells whether the server hung up, `got` what it said. */
function stalled(port: number, head: string) {
  const s = net.connect(port, '127.0.0.1');
  const state = { closed: false, got: '' };
  s.on('data', (d) => (state.got += d.toString('latin1')));
  s.on('close', () => (state.closed = true));
  s.on('error', () => undefined);
  if (head) s.write(head);
  return { state, destroy: () => s.destroy() };
}

test('slow and stalled clients are cut off after REQUEST_TIMEOUT_MS: bodies, headers and silent connections', async () => {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { REQUEST_TIMEOUT_MS: '1000' }));
  const json = 'POST /ingest HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n';
  const clients = [
    // Bodies that stop coming, on the direct path (Content-Length) and the Fastify route (chunked).
    ...Array.from({ length: 10 }, () => stalled(c.port, `${json}Content-Length: 1000000\r\n\r\n{"start_time":`)),
    ...Array.from({ length: 10 }, () => stalled(c.port, `${json}Transfer-Encoding: chunked\r\n\r\n5\r\n{"sta\r\n`)),
    // Headers that never end, and connections that never say anything.
    ...Array.from({ length: 5 }, () => stalled(c.port, 'GET /query HTTP/1.1\r\nHost: x\r\nX-Slow: ')),
    ...Array.from({ length: 5 }, () => stalled(c.port, '')),
  ];
  try {
    await waitFor('the server to close every slow connection', () => clients.every((k) => k.state.closed), 15_000, 100);
    const timedOut = clients.slice(0, 20).filter((k) => /^HTTP\/1\.1 408 /.test(k.state.got)).length;
    assert.equal(timedOut, 20, 'each unfinished body was answered 408');
    // The server still serves.
    assert.equal((await post(`${c.url}/ingest`, JSON.stringify(smallRecord('timeout-after')))).status, 200);
  } finally {
    for (const k of clients) k.destroy();
    await c.close();
    removeDir(dir);
  }
});

test('INGEST_PORT: ingest and the probes on their own port, everything else on PORT without ingest', async () => {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { INGEST_PORT: '0' }));
  try {
    assert.notEqual(c.ingestPort, c.port);
    const rec = JSON.stringify(smallRecord('split-1'));
    assert.equal((await post(`${c.ingestUrl}/ingest`, rec)).status, 200);
    assert.equal((await post(`${c.ingestUrl}/`, JSON.stringify(smallRecord('split-2')))).status, 200, 'POST / (the seed default path) too');
    // Chunked bodies take the framework route: also served there.
    const chunked = await fetch(`${c.ingestUrl}/ingest`, { method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: new Blob([JSON.stringify(smallRecord('split-3'))]).stream(), duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 200);
    for (const base of [c.url, c.ingestUrl]) {
      assert.equal((await fetch(`${base}/health`)).status, 200);
      assert.equal((await getJson(`${base}/ready`)).json.status, 'ready');
    }
    for (const path of ['/ingest', '/']) {
      const r = await post(`${c.url}${path}`, rec);
      assert.equal(r.status, 404, `POST ${path} on PORT`);
      assert.equal(r.json.status, 'error');
      assert.match(r.json.error, /INGEST_PORT/);
    }
    for (const path of ['/query', '/stats', '/metrics', '/', '/index.html']) {
      const r = await getJson(`${c.ingestUrl}${path}`);
      assert.equal(r.status, 404, `GET ${path} on INGEST_PORT`);
      assert.equal(r.json.status, 'error');
    }
    const stored = await waitFor('the records on PORT', async () => {
      const r = await getJson(`${c.url}/query?sort_by=request_id&sort_order=asc`);
      return r.json.total === 3 ? r.json.logs.map((l: { request_id: string }) => l.request_id) : undefined;
    });
    assert.deepEqual(stored, ['split-1', 'split-2', 'split-3']);
    assert.match(await (await fetch(`${c.url}/metrics`)).text(), /log_collector_records_accepted_total 3/);
  } finally {
    await c.close();
    removeDir(dir);
  }
});

test('METRICS_TOKEN guards /metrics', async () => {
  const dir = tempDir();
  const c = await startCollector(testConfig(dir, { METRICS_TOKEN: 'm-secret' }));
  try {
    const open = await fetch(`${c.url}/metrics`);
    assert.equal(open.status, 401);
    assert.match(open.headers.get('www-authenticate') ?? '', /realm="metrics"/);
    assert.equal((await fetch(`${c.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const ok = await fetch(`${c.url}/metrics`, { headers: { authorization: 'Bearer m-secret' } });
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /log_collector_database_up 1/);
  } finally {
    await c.close();
    removeDir(dir);
  }
});

test('HOST defaults to loopback; beyond it without QUERY_TOKEN the start warns that reads are open', async () => {
  assert.equal(loadConfig({}, []).host, '127.0.0.1');
  const warning = /QUERY_TOKEN is not set and the collector listens beyond loopback/;
  const dirs = [tempDir(), tempDir(), tempDir()];
  const runs = [
    { env: { HOST: '0.0.0.0', DATA_DIR: dirs[0] }, warns: true },
    { env: { HOST: '0.0.0.0', DATA_DIR: dirs[1], QUERY_TOKEN: 'q' }, warns: false },
    { env: { HOST: '127.0.0.1', DATA_DIR: dirs[2] }, warns: false },
  ];
  try {
    for (const run of runs) {
      const col = await spawnCollector(run.env);
      col.child.kill('SIGTERM');
      await col.exited;
      assert.equal(warning.test(col.output()), run.warns, `${JSON.stringify(run.env)}: ${col.output()}`);
    }
  } finally {
    for (const d of dirs) removeDir(d);
  }
});
