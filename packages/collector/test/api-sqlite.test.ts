// The collector's HTTP API on the embedded SQLite store: ingest forms, query, bad input, auth, probes, shutdown.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { FIELDS } from '@db-log-pusher/schema';
import { startCollector, type RunningCollector } from '../src/index.js';
import { fullRecord, getJson, post, removeDir, smallRecord, tempDir, testConfig, waitFor } from './helpers.js';

let dir: string;
let c: RunningCollector;

before(async () => {
  dir = tempDir();
  c = await startCollector(testConfig(dir, { MAX_RECORDS_PER_REQUEST: '50', BODY_LIMIT: '64kb' }));
});
after(async () => {
  await c.close();
  removeDir(dir);
});

async function queryAll(params: string): Promise<any> {
  const r = await getJson(`${c.url}/query?${params}`);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.status, 'success');
  return r.json;
}

/** The value a field should read back as (strings cut to the column size, ai_log as an object). */
function expected(rec: Record<string, unknown>, name: string): unknown {
  return rec[name] ?? null;
}

test('all three body forms are stored and every field reads back unchanged', async () => {
  const one = fullRecord(1);
  const arr = [fullRecord(2), fullRecord(3)];
  const nd = [fullRecord(4), fullRecord(5), fullRecord(6)];
  // ai_log double-encoded as a string, as gateways often send it.
  nd[2].ai_log = JSON.stringify(nd[2].ai_log);
  const r1 = await post(`${c.url}/ingest`, JSON.stringify(one));
  assert.equal(r1.status, 200);
  assert.deepEqual(r1.json, { status: 'success', accepted: 1 });
  const r2 = await post(`${c.url}/ingest`, JSON.stringify(arr));
  assert.equal(r2.json.accepted, 2);
  const r3 = await post(`${c.url}/ingest`, nd.map((r) => JSON.stringify(r)).join('\n') + '\n', 'application/x-ndjson');
  assert.equal(r3.json.accepted, 3);
  // The seed's default collector_path is "/": the same ingest answers there.
  const r4 = await post(`${c.url}/`, JSON.stringify(fullRecord(7)));
  assert.equal(r4.status, 200);

  const all = [one, ...arr, ...nd, fullRecord(7)];
  await waitFor('7 rows', async () => (await queryAll(`request_id=${all.at(-1)!.request_id}`)).total === 1 && (await queryAll('request_id=req-6')).total === 1);
  for (const rec of all) {
    const res = await queryAll(`request_id=${encodeURIComponent(String(rec.request_id))}`);
    assert.equal(res.total, 1, `request ${rec.request_id}`);
    const log = res.logs[0];
    assert.equal(typeof log.id, 'number');
    for (const f of FIELDS) {
      const want = f.name === 'ai_log' ? fullRecord(1).ai_log : expected(rec, f.name);
      assert.deepEqual(log[f.name], want, `field ${f.name} of ${rec.request_id}`);
    }
  }
});

test('over-long strings are cut to the column size and unknown fields are ignored', async () => {
  const rec = smallRecord('long-1', { method: 'X'.repeat(50), trace_id: 't'.repeat(300) }) as Record<string, unknown>;
  rec.not_a_field = 'ignored';
  const r = await post(`${c.url}/ingest`, JSON.stringify(rec));
  assert.equal(r.status, 200);
  const res = await waitFor('long-1', async () => {
    const j = await queryAll('request_id=long-1');
    return j.total === 1 ? j : undefined;
  });
  assert.equal(res.logs[0].method, 'X'.repeat(10));
  assert.equal(res.logs[0].trace_id, 't'.repeat(255));
  assert.equal(res.logs[0].not_a_field, undefined);
});

test('filters, bizType, pagination and sorting', async () => {
  const base = Date.UTC(2025, 0, 2, 3, 4, 5, 0);
  const recs = [];
  for (let i = 0; i < 25; i++) {
    recs.push(
      smallRecord(`f-${i}`, {
        start_time: new Date(base + i * 60_000).toISOString(),
        authority: i % 2 ? 'odd.example.com' : 'even.example.com',
        path: i % 5 === 0 ? `/v1/100%_done/${i}` : `/v1/chat/${i}`,
        response_code: i % 4 === 0 ? 500 : 200,
        model: i < 10 ? 'm-a' : null,
        mcp_server: i >= 20 ? 'files' : null,
        mcp_tool: i >= 20 ? 'read' : null,
        consumer: 'filter-test',
        duration: 100 - i,
        instance_id: 'pod-1',
        trace_id: `tr-${i}`,
        api: i < 10 ? 'chat' : 'other',
        route: 'r1',
        service: 'svc.ns.svc.cluster.local',
      }),
    );
  }
  assert.equal((await post(`${c.url}/ingest`, JSON.stringify(recs))).status, 200);
  await waitFor('25 rows', async () => (await queryAll('consumer=filter-test')).total === 25);
  const q = (s: string) => queryAll(`consumer=filter-test&${s}`);

  assert.equal((await q('authority=odd.example.com')).total, 12);
  assert.equal((await q('response_code=500')).total, 7);
  assert.equal((await q('status=500')).total, 7, 'status is an alias of response_code');
  assert.equal((await q('path=' + encodeURIComponent('100%_'))).total, 5, 'path is a literal substring, % and _ included');
  assert.equal((await q('path=chat')).total, 20);
  assert.equal((await q('bizType=MODEL_API')).total, 10);
  assert.equal((await q('bizType=MCP_SERVER')).total, 5);
  assert.equal((await q('model=m-a&api=chat')).total, 10);
  assert.equal((await q('mcp_server=files&mcp_tool=read')).total, 5);
  assert.equal((await q('trace_id=tr-3&instance_id=pod-1&route=r1&service=svc.ns.svc.cluster.local')).total, 1);
  assert.equal((await q('method=POST')).total, 25);
  // Time range in each accepted form: RFC 3339, "YYYY-MM-DD HH:MM:SS" (UTC), epoch ms.
  const t5 = new Date(base + 5 * 60_000);
  const t9 = new Date(base + 9 * 60_000);
  assert.equal((await q(`start_time=${t5.toISOString()}&end=${t9.toISOString()}`)).total, 5);
  assert.equal((await q(`start=${encodeURIComponent(t5.toISOString().slice(0, 19).replace('T', ' '))}&end=${t9.getTime()}`)).total, 5);
  assert.equal((await q(`start_time=${encodeURIComponent('2025-01-02T11:09:05+08:00')}&end=${t9.getTime()}`)).total, 5, 'offsets are converted to UTC');

  // Pagination: default page size 10, stable order, pages disjoint.
  const p1 = await q('sort_by=duration&sort_order=asc');
  assert.equal(p1.logs.length, 10);
  assert.equal(p1.total, 25);
  assert.deepEqual(p1.logs.map((l: any) => l.duration), [76, 77, 78, 79, 80, 81, 82, 83, 84, 85]);
  const p3 = await q('sort_by=duration&sort_order=asc&page=3');
  assert.deepEqual(p3.logs.map((l: any) => l.duration), [96, 97, 98, 99, 100]);
  const big = await q('page_size=1000');
  assert.equal(big.logs.length, 25, 'page_size is clamped to 100');
  const byTime = await q('page_size=3');
  assert.deepEqual(byTime.logs.map((l: any) => l.request_id), ['f-24', 'f-23', 'f-22'], 'default: newest first');
  const asc = await q('page_size=3&sort_by=start_time&sort_order=ASC');
  assert.deepEqual(asc.logs.map((l: any) => l.request_id), ['f-0', 'f-1', 'f-2']);
  assert.equal((await q('page=9')).logs.length, 0);
});

test('bad input is a clear 4xx, nothing of the request is written, and the server keeps serving', async () => {
  const before = (await queryAll('consumer=bad-input')).total;
  const good = smallRecord('bad-ok', { consumer: 'bad-input' });
  const cases: [string, string, string, number, RegExp][] = [
    ['malformed JSON', '{"start_time": "2024-01-01T00:00:00Z",', 'application/json', 400, /malformed JSON/],
    ['empty body', '', 'application/json', 400, /empty/],
    ['wrong type', JSON.stringify({ ...good, response_code: '200' }), 'application/json', 400, /response_code must be an integer/],
    ['missing start_time', JSON.stringify({ authority: 'x' }), 'application/json', 400, /start_time is required/],
    ['bad start_time', JSON.stringify({ ...good, start_time: 'yesterday' }), 'application/json', 400, /start_time/],
    ['not an object', '42', 'application/json', 400, /JSON object/],
    ['ai_log not JSON', JSON.stringify({ ...good, ai_log: 'nope' }), 'application/json', 400, /ai_log/],
    ['header map with a number', JSON.stringify({ ...good, req_headers: { a: 1 } }), 'application/json', 400, /req_headers/],
    ['array with one bad record', JSON.stringify([good, { ...good, duration: 1.5 }]), 'application/json', 400, /record 2: duration/],
    ['NDJSON with a bad line', `${JSON.stringify(good)}\n\n${JSON.stringify({ ...good, bytes_sent: 'x' })}\n`, 'application/x-ndjson', 400, /line 3: bytes_sent/],
    ['NDJSON with malformed line', `${JSON.stringify(good)}\n{oops\n`, 'application/x-ndjson', 400, /line 2: malformed JSON/],
    ['too many records', JSON.stringify(Array.from({ length: 51 }, () => good)), 'application/json', 413, /too many records/],
    ['too many NDJSON lines', Array.from({ length: 51 }, () => JSON.stringify(good)).join('\n'), 'application/x-ndjson', 413, /too many records/],
    ['oversize body', JSON.stringify({ ...good, req_body: 'x'.repeat(70 * 1024) }), 'application/json', 413, /too large/],
    ['unknown content type', JSON.stringify(good), 'text/plain', 415, /Content-Type/],
    ['form content type', 'a=b', 'application/x-www-form-urlencoded', 415, /Content-Type/],
  ];
  for (const [name, body, type, status, msg] of cases) {
    const r = await post(`${c.url}/ingest`, body, type);
    assert.equal(r.status, status, `${name}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.status, 'error', name);
    assert.match(r.json.error, msg, name);
  }
  const named = await post(`${c.url}/ingest`, JSON.stringify({ ...good, response_code: 'x' }));
  assert.equal(named.json.param, 'response_code');
  // Still serving: a good record goes in, and none of the rejected ones did.
  assert.equal((await post(`${c.url}/ingest`, JSON.stringify(good))).status, 200);
  await waitFor('the good record', async () => (await queryAll('consumer=bad-input')).total === before + 1);
  await new Promise((r) => setTimeout(r, 200));
  assert.equal((await queryAll('consumer=bad-input')).total, before + 1);
  const m = await (await fetch(`${c.url}/metrics`)).text();
  assert.match(m, /log_collector_ingest_requests_total\{code="400"\} \d+/);
  assert.match(m, /log_collector_ingest_requests_total\{code="413"\} \d+/);
  assert.match(m, /log_collector_ingest_requests_total\{code="415"\} \d+/);
});

test('SQL metacharacters in every query parameter: a 4xx or a correct empty result, never a 5xx', async () => {
  const nasty = ["'", '"', "' OR '1'='1", '1; DROP TABLE access_logs; --', '%', '_', '\\', '`', ')', "0' UNION SELECT * FROM access_logs --", '\u0000', '中文', '1e9', '-1', '9'.repeat(30)];
  const params = ['start_time', 'start', 'end', 'authority', 'method', 'path', 'response_code', 'status', 'trace_id', 'instance_id', 'api', 'model', 'consumer', 'route', 'service', 'mcp_server', 'mcp_tool', 'request_id', 'bizType', 'page', 'page_size', 'sort_by', 'sort_order'];
  const total = (await queryAll('')).total;
  for (const p of params) {
    for (const v of nasty) {
      const r = await getJson(`${c.url}/query?${p}=${encodeURIComponent(v)}`);
      assert.ok(r.status === 200 || r.status === 400, `${p}=${JSON.stringify(v)} → ${r.status} ${JSON.stringify(r.json)}`);
      if (r.status === 400) {
        assert.equal(r.json.param, p, `${p}: the 400 names the parameter`);
      } else if (!['page', 'page_size', 'sort_order', 'path'].includes(p) && !(p === 'method' && v === '%')) {
        assert.equal(r.json.total, 0, `${p}=${JSON.stringify(v)} matches nothing`);
      }
    }
  }
  assert.equal((await queryAll('')).total, total, 'the table is intact');
  const bad = await getJson(`${c.url}/query?sort_by=${encodeURIComponent('id; DROP TABLE x')}`);
  assert.equal(bad.status, 400);
  assert.equal(bad.json.param, 'sort_by');
});

test('health, readiness and metrics', async () => {
  const h = await fetch(`${c.url}/health`);
  assert.equal(h.status, 200);
  assert.equal(await h.text(), 'ok');
  const r = await getJson(`${c.url}/ready`);
  assert.equal(r.status, 200);
  assert.equal(r.json.database, true);
  const m = await fetch(`${c.url}/metrics`);
  assert.match(m.headers.get('content-type') ?? '', /text\/plain/);
  const text = await m.text();
  for (const name of [
    'log_collector_ingest_requests_total{code="200"}',
    'log_collector_records_accepted_total',
    'log_collector_records_rejected_total',
    'log_collector_db_write_seconds_bucket',
    'log_collector_batch_rows_bucket',
    'log_collector_pending_records',
    'log_collector_spool_bytes',
    'log_collector_db_errors_total',
    'process_resident_memory_bytes',
  ]) {
    assert.ok(text.includes(name), `metrics include ${name}`);
  }
  const accepted = Number(/^log_collector_records_accepted_total (\d+)/m.exec(text)![1]);
  assert.ok(accepted >= 30, `accepted counter counts records (${accepted})`);
});

test('bearer tokens guard ingest and query', async () => {
  const d = tempDir();
  const s = await startCollector(testConfig(d, { INGEST_TOKEN: 'in-secret', QUERY_TOKEN: 'q-secret' }));
  try {
    const body = JSON.stringify(smallRecord('auth-1'));
    assert.equal((await post(`${s.url}/ingest`, body)).status, 401);
    const wrong = await post(`${s.url}/ingest`, body, 'application/json', { authorization: 'Bearer q-secret' });
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await post(`${s.url}/ingest`, body, 'application/json', { authorization: 'Bearer in-secret' })).status, 200);
    assert.equal((await getJson(`${s.url}/query`)).status, 401);
    assert.equal((await getJson(`${s.url}/query`, { authorization: 'Bearer in-secret' })).status, 401);
    const ok = await waitFor('the record', async () => {
      const r = await getJson(`${s.url}/query?request_id=auth-1`, { authorization: 'Bearer q-secret' });
      return r.status === 200 && r.json.total === 1 ? r : undefined;
    });
    assert.equal(ok.json.logs[0].request_id, 'auth-1');
    // Probes stay open for the kubelet.
    assert.equal((await fetch(`${s.url}/health`)).status, 200);
    assert.equal((await fetch(`${s.url}/metrics`)).status, 200);
  } finally {
    await s.close();
    removeDir(d);
  }
});

test('plain ingest requests, served straight from node:http, answer exactly as the Fastify route does', async () => {
  const d = tempDir();
  const s = await startCollector(testConfig(d, { INGEST_TOKEN: 'in-secret', MAX_RECORDS_PER_REQUEST: '3' }));
  try {
    const auth = { authorization: 'Bearer in-secret' };
    const good = smallRecord('same-1');
    const cases: [string, string, string, Record<string, string>][] = [
      ['one object', JSON.stringify(good), 'application/json', auth],
      ['with charset', JSON.stringify(good), 'application/json; charset=utf-8', auth],
      ['an array', JSON.stringify([good, good]), 'application/json', auth],
      ['NDJSON', `${JSON.stringify(good)}\n${JSON.stringify(good)}\n`, 'application/x-ndjson', auth],
      ['malformed JSON', '{"start_time":', 'application/json', auth],
      ['a bad field', JSON.stringify({ ...good, response_code: 'x' }), 'application/json', auth],
      ['too many records', JSON.stringify([good, good, good, good]), 'application/json', auth],
      ['a negative size', JSON.stringify({ ...good, bytes_sent: -1 }), 'application/json', auth],
      ['ai_log nested too deep', JSON.stringify({ ...good, ai_log: JSON.parse('{"a":'.repeat(99) + '{}' + '}'.repeat(99)) }), 'application/json', auth],
      ['a latin1 charset', JSON.stringify(good), 'application/json; charset=latin1', auth],
      ['gzip', JSON.stringify(good), 'application/json', { ...auth, 'content-encoding': 'gzip' }],
      ['no token', JSON.stringify(good), 'application/json', {}],
      ['a wrong token', JSON.stringify(good), 'application/json', { authorization: 'Bearer nope' }],
    ];
    for (const path of ['/ingest', '/']) {
      for (const [name, body, type, headers] of cases) {
        const direct = await post(`${s.url}${path}`, body, type, headers);
        const routed = await s.app.inject({ method: 'POST', url: path, payload: body, headers: { 'content-type': type, ...headers } });
        const where = `${name} on ${path}`;
        assert.equal(direct.status, routed.statusCode, where);
        assert.deepEqual(direct.json, routed.json(), where);
        for (const h of ['content-type', 'content-length', 'www-authenticate', 'retry-after']) {
          assert.equal(direct.headers.get(h) ?? undefined, routed.headers[h] === undefined ? undefined : String(routed.headers[h]), `${where}: ${h}`);
        }
      }
    }
    const m = await (await fetch(`${s.url}/metrics`)).text();
    assert.match(m, /log_collector_ingest_requests_total\{code="200"\} 16\b/);
    assert.match(m, /log_collector_ingest_requests_total\{code="401"\} 8\b/);
  } finally {
    await s.close();
    removeDir(d);
  }
});

test('graceful shutdown drains what the spool holds into the database', async () => {
  const d = tempDir();
  // A flush interval far beyond the test: only the shutdown drain can write these rows.
  const s = await startCollector(testConfig(d, { FLUSH_SIZE: '1000', FLUSH_INTERVAL_MS: '600000', MAX_BATCH_ROWS: '1000' }));
  const recs = Array.from({ length: 120 }, (_, i) => smallRecord(`drain-${i}`));
  for (let i = 0; i < 120; i += 40) assert.equal((await post(`${s.url}/ingest`, JSON.stringify(recs.slice(i, i + 40)))).status, 200);
  const pending = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(pending, /^log_collector_pending_records 120$/m);
  await s.close();
  const db = new Database(join(d, 'access_logs.db'), { readonly: true });
  try {
    const n = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT request_id) AS d FROM access_logs WHERE request_id LIKE 'drain-%'").get() as { n: number; d: number };
    assert.deepEqual(n, { n: 120, d: 120 });
  } finally {
    db.close();
    removeDir(d);
  }
});
