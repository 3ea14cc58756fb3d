// Records are valid UTF-8 JSON whatever bytes headers, properties, bodies and ai_log carry:
// what is not UTF-8 becomes U+FFFD and the characters around it survive, so no batch is
// refused for one odd value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers.js';

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
