// Several workers, one VM each, one shared stats store (as in Envoy): the records_queued gauge is
// the total of what every VM holds (each moves it by deltas), and every VM drains at shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startGateway } from '@db-log-pusher/wasm-host';
import { startMockLlm } from '@db-log-pusher/mock-llm';
import { PUSHER_WASM_PATH } from '../src/index.js';
import { COLLECTOR_CLUSTER, COLLECTOR_FQDN, parseBody } from './helpers.js';

test('with two workers the records_queued gauge counts what both VMs hold, and both drain at shutdown', async (t) => {
  const llm = await startMockLlm();
  t.after(() => llm.close());
  const received: string[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => { body += d; });
    req.on('end', () => { received.push(...parseBody(body).map((r) => String(r.request_id))); res.writeHead(200).end('{}'); });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => { collector.closeAllConnections(); collector.close(() => r()); }));
  const gw = await startGateway({
    listen: '127.0.0.1:0',
    upstream: llm.url,
    concurrency: 2,
    clusters: { [COLLECTOR_CLUSTER]: `http://127.0.0.1:${(collector.address() as AddressInfo).port}` },
    logLevel: 'error',
    logger: () => {},
    // Held until shutdown: batches never fill, the flush is a minute away.
    plugins: [{ wasm: PUSHER_WASM_PATH, configuration: { collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 100, flush_interval_ms: 60000 } }],
  });
  let closed = false;
  t.after(() => (closed ? undefined : gw.close()));
  // A new connection per request: connections are spread over the workers.
  for (let i = 0; i < 10; i++) {
    await new Promise<void>((resolve, reject) => {
      http.get(`${gw.url}/health`, { agent: false, headers: { 'x-request-id': `w-${i}` } }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', reject);
    });
  }
  const vms = gw.host.vmsOf(0);
  assert.equal(vms.length, 2);
  assert.equal(vms.flatMap((vm) => vm.httpCalls).length, 0, 'nothing sent yet');
  const gauge = () => gw.host.plugins[0].metricsSnapshot()['db_log_pusher.records_queued']?.value;
  assert.equal(gauge(), 10, 'both VMs\' records');
  await gw.close();
  closed = true;
  assert.deepEqual(received.sort(), Array.from({ length: 10 }, (_, i) => `w-${i}`).sort());
  assert.equal(gauge(), 0);
  assert.equal(gw.host.plugins[0].metricsSnapshot()['db_log_pusher.records_sent'].value, 10);
});
