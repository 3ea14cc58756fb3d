// Records are valid UTF-8 JSON whatever bytes headers, properties, bodies and ai_log carry:
// what is not UTF-8 becomes U+FFFD and the characters around it survive, so no batch is
// refused for one odd value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '@db-log-pusher/wasm-host';
import { startCollector, loadConfig } from '@db-log-pusher/collector';
import { startMockLlm } from '@db-log-pusher/mock-llm';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { harness, COLLECTOR_CLUSTER, COLLECTOR_FQDN } from './helpers.js';

const strict = new TextDecoder('utf-8', { fatal: true });
const bytes = (...parts: Array<string | number[]>): Uint8Array =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

test('ill-formed UTF-8 in properties, bodies and ai_log is replaced, never passed on', async (t) => {
  const h = await harness({ capture_body: true, max_body_bytes: 64 });
  t.after(() => h.host.close());
  await h.host.runStream({
    request: { headers: { ':method': 'POST', ':path': '/u', ':authority': 'a', 'content-type': 'text/plain' }, body: bytes('ab', [0xff], 'cd', [0xc3], 'é') },
    response: { headers: { ':status': '200', 'content-type': 'text/plain' }, body: bytes('x', [0xed, 0xa0, 0x80], 'y', [0xf0, 0x9f, 0x98, 0x80]) },
    properties: {
      route_name: bytes('route-', [0x80, 0x80], '-0'),
      'response.code_details': bytes('via', [0xe2, 0x82], '_upstream'),
      'wasm.ai_log': bytes('{"model":"m', [0xed, 0xa0, 0x80], '","note":"', [0xfe], 'ok"}'),
    },
  });
  await h.host.idle();
  const call = h.vm.httpCalls[0];
  assert.doesNotThrow(() => strict.decode(call.bodyBytes), 'the call body is UTF-8');
  const rec = JSON.parse(strict.decode(call.bodyBytes));
  assert.equal(rec.req_body, 'ab\uFFFDcd\uFFFDé');
  assert.equal(rec.resp_body, 'x\uFFFD\uFFFD\uFFFDy😀');
  assert.equal(rec.route_name, 'route-\uFFFD\uFFFD-0');
  assert.equal(rec.response_code_details, 'via\uFFFD_upstream');
  assert.deepEqual(rec.ai_log, { model: 'm\uFFFD\uFFFD\uFFFD', note: '\uFFFDok' });
  assert.equal(rec.model, 'm\uFFFD\uFFFD\uFFFD');
});

test('through db-log-gateway: a header that is not UTF-8 is stored with U+FFFD, the rest of the record intact', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pusher-utf8-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const collector = await startCollector(loadConfig({ PORT: '0', HOST: '127.0.0.1', DATA_DIR: dir, LOG_LEVEL: 'warn', FLUSH_INTERVAL_MS: '50' }, []));
  t.after(() => collector.close());
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const gw = await startGateway({
    listen: '127.0.0.1:0',
    upstream: llm.url,
    clusters: { [COLLECTOR_CLUSTER]: collector.url },
    logLevel: 'error',
    logger: () => {},
    plugins: [{ wasm: PUSHER_WASM_PATH, configuration: { collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1 } }],
  });
  t.after(() => gw.close());
  // Raw bytes on the wire: fetch would refuse a header that is not Latin-1 text.
  const { hostname, port } = new URL(gw.url);
  const sock = net.connect(Number(port), hostname);
  await once(sock, 'connect');
  sock.write(bytes('GET /health HTTP/1.1\r\nHost: gw.local\r\nx-request-id: odd-header\r\nuser-agent: ok', [0xff, 0xfe], 'ua/1.0\r\nconnection: close\r\n\r\n'));
  let answer = '';
  for await (const chunk of sock) answer += chunk;
  assert.match(answer, /^HTTP\/1\.1 200/);
  let logs: Array<Record<string, unknown>> = [];
  for (const deadline = Date.now() + 10_000; logs.length === 0 && Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    logs = ((await (await fetch(`${collector.url}/query?request_id=odd-header`)).json()) as { logs: Array<Record<string, unknown>> }).logs;
  }
  assert.equal(logs.length, 1, 'the record was accepted');
  assert.equal(logs[0].user_agent, 'ok\uFFFD\uFFFDua/1.0');
  assert.equal(logs[0].path, '/health');
});
