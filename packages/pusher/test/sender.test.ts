// Batching, retries with backoff, the bounded queue, drop counts and metrics, through the host's
// manual clock (ticks fire only when the test advances time).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, parseBody } from './helpers.js';

const get = (i: number) => ({ request: { headers: { ':method': 'GET', ':path': `/item/${i}`, ':authority': 'shop.local' } } });

test('default batching: NDJSON batches of batch_size, a partial batch on the flush tick', async (t) => {
  const h = await harness({ batch_size: 10 });
  t.after(() => h.host.close());
  for (let i = 0; i < 25; i++) await h.host.runStream(get(i));
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 2, 'two full batches go out at once');
  for (const c of h.vm.httpCalls) {
    assert.equal(c.headers['content-type'], 'application/x-ndjson');
    assert.equal(parseBody(c.body).length, 10);
    assert.ok(c.body.endsWith('\n'));
  }
  h.host.advance(999);
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 2, 'a partial batch waits for the tick');
  h.host.advance(1);
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 3);
  const paths = h.records().map((r) => r.path);
  assert.deepEqual(paths, Array.from({ length: 25 }, (_, i) => `/item/${i}`), 'every record once, in order');
  assert.equal(h.metric('db_log_pusher.records_sent'), 25);
  assert.equal(h.metric('db_log_pusher.batches_sent'), 3);
  assert.equal(h.metric('db_log_pusher.records_queued'), 0);
});

test('calls go out from the root context, so they outlive the request that produced them', async (t) => {
  const h = await harness({ batch_size: 1 });
  t.after(() => h.host.close());
  h.answer(() => ({ status: 204, delayMs: 50 }));
  await h.host.runStream(get(1));
  await h.host.idle();
  const call = h.vm.httpCalls[0];
  assert.equal(call.contextId, 1, 'root context id');
  assert.deepEqual(call.outcome && 'status' in call.outcome && [call.outcome.status, call.outcome.delivered], [204, true]);
  assert.equal(h.metric('db_log_pusher.records_sent'), 1);
});

test('5xx and timeouts are retried with growing backoff, then succeed once', async (t) => {
  const h = await harness({ batch_size: 5, retry_backoff_ms: 100, max_retries: 3 });
  t.after(() => h.host.close());
  const answers = [{ status: 503 }, { timeout: true as const }, { status: 200 }];
  let n = 0;
  h.answer(() => answers[Math.min(n++, answers.length - 1)]);
  for (let i = 0; i < 5; i++) await h.host.runStream(get(i));
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 1);
  assert.equal(h.metric('db_log_pusher.records_retried'), 5);
  // Step the manual clock until the next attempt goes out: first after 50..150 ms (+ one tick),
  // the second after 100..300 ms (+ one tick).
  const until = async (calls: number): Promise<number> => {
    let waited = 0;
    while (h.vm.httpCalls.length < calls && waited < 5000) { h.host.advance(10); waited += 10; await h.host.idle(); }
    return waited;
  };
  const first = await until(2);
  assert.ok(first >= 50 && first <= 250, `first retry after ${first} ms`);
  assert.equal(h.metric('db_log_pusher.records_retried'), 10);
  const second = await until(3);
  assert.ok(second >= 100 && second <= 400, `second retry after ${second} ms`);
  assert.equal(h.vm.httpCalls[2].body, h.vm.httpCalls[0].body, 'the same batch is re-sent');
  assert.equal(h.metric('db_log_pusher.records_sent'), 5);
  assert.equal(h.metric('db_log_pusher.records_failed'), 0);
  h.host.advance(5000);
  await h.host.idle();
  assert.equal(h.vm.httpCalls.length, 3, 'nothing is sent twice after success');
});

test('a 4xx answer is not retried; exhausted retries count as failed, with a warning', async (t) => {
  const h = await harness({ batch_size: 2, retry_backoff_ms: 10, max_retries: 2 });
  t.after(() => h.host.close());
  h.answer(() => ({ status: 400, body: '{"error":"bad"}' }));
  await h.host.runStream(get(1));
  await h.host.runStream(get(2));
  await h.host.idle();
  assert.equal(h.metric('db_log_pusher.records_failed'), 2);
  assert.equal(h.metric('db_log_pusher.records_retried'), 0);
  h.answer(() => ({ connectionFailure: true }));
  await h.host.runStream(get(3));
  await h.host.runStream(get(4));
  for (let i = 0; i < 10; i++) {
    h.host.advance(100);
    await h.host.idle();
  }
  assert.equal(h.vm.httpCalls.length, 1 + 3, 'one try and two retries');
  assert.equal(h.metric('db_log_pusher.records_failed'), 4);
  assert.equal(h.metric('db_log_pusher.records_retried'), 4);
  assert.ok(h.vm.logs.some((l) => l.level === 'warn' && /answered 503, 2 records lost after 3 attempts/.test(l.message)), h.vm.logs.map((l) => l.message).join('\n'));
});

test('the queue is bounded: with the collector down, records beyond max_pending_records are dropped and counted', async (t) => {
  const h = await harness({ batch_size: 10, max_pending_records: 50, max_in_flight: 2, retry_backoff_ms: 1000, max_retries: 10 });
  t.after(() => h.host.close());
  h.answer(() => ({ status: 500 }));
  for (let i = 0; i < 300; i++) {
    const r = await h.host.runStream(get(i));
    assert.equal(r.response.status, 200, 'every request still succeeds');
    if (i % 50 === 0) { h.host.advance(200); await h.host.idle(); }
  }
  await h.host.idle();
  const queued = h.metric('db_log_pusher.records_queued');
  const dropped = h.metric('db_log_pusher.records_dropped');
  assert.ok(queued <= 50, `held ${queued} records`);
  assert.ok(dropped >= 250, `dropped ${dropped}`);
  assert.equal(h.metric('db_log_pusher.records_sent'), 0);
  assert.ok(h.vm.logs.some((l) => l.level === 'warn' && /queue full/.test(l.message)));
  // The collector comes back: what was kept is delivered, nothing more.
  h.answer(() => ({ status: 200 }));
  for (let i = 0; i < 40; i++) { h.host.advance(1000); await h.host.idle(); }
  const sent = h.metric('db_log_pusher.records_sent');
  assert.equal(sent + dropped, 300, `sent ${sent} + dropped ${dropped}`);
  assert.equal(h.metric('db_log_pusher.records_queued'), 0);
});

test('max_pending_bytes bounds the memory held by large records', async (t) => {
  const h = await harness({ batch_size: 100, max_pending_bytes: 4096, capture_body: true, max_body_bytes: 1000 });
  t.after(() => h.host.close());
  for (let i = 0; i < 20; i++) {
    await h.host.runStream({ request: { headers: { ':method': 'POST', ':path': '/big', ':authority': 'a' }, body: 'x'.repeat(2000) } });
  }
  await h.host.idle();
  const dropped = h.metric('db_log_pusher.records_dropped');
  assert.ok(dropped >= 16, `dropped ${dropped}`);
  h.host.advance(1000);
  await h.host.idle();
  assert.equal(h.records().length, 20 - dropped);
});
