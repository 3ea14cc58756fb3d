// Higress rules: the configuration Higress sends with defaultConfigDisable ({"_rules_": [...]}),
// matching as wasm-go's rule_matcher.go (categories, precedence, first match wins), requests
// matching no rule passing unrecorded, and one sender (queue, bounds) per collector cluster.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, COLLECTOR_FQDN, COLLECTOR_CLUSTER, REWRITER_WASM } from './helpers.js';

const collector = { collector_service_name: COLLECTOR_FQDN, collector_port: 80, collector_path: '/ingest', batch_size: 1 };
const OTHER_FQDN = 'audit-collector.audit.svc.cluster.local';

type Req = { authority?: string; route?: string; cluster?: string; consumer?: string; path: string };
const run = (h: Awaited<ReturnType<typeof harness>>, r: Req) =>
  h.host.runStream({
    request: { headers: { ':method': 'GET', ':path': r.path, ':authority': r.authority ?? 'plain.example', ...(r.consumer ? { 'x-mse-consumer': r.consumer } : {}) } },
    properties: { ...(r.route ? { route_name: r.route } : {}), ...(r.cluster ? { cluster_name: r.cluster } : {}) },
  });

test('rules only (defaultConfigDisable): accepted; a request matching no rule passes unrecorded', async (t) => {
  const h = await harness({ _rules_: [{ _match_route_: ['model-api-openai-0'], ...collector }] }, { exact: true });
  t.after(() => h.host.close());
  const a = await run(h, { path: '/recorded', route: 'model-api-openai-0' });
  const b = await run(h, { path: '/not-recorded', route: 'other-route' });
  const c = await run(h, { path: '/no-route' });
  assert.deepEqual([a.response.status, b.response.status, c.response.status], [200, 200, 200], 'every request passes');
  await h.host.idle();
  assert.deepEqual(h.records().map((r) => r.path), ['/recorded']);
  assert.equal(h.vm.httpCalls[0].cluster, COLLECTOR_CLUSTER);
  assert.ok(h.vm.logs.some((l) => /only requests matching one of 1 rules are recorded/.test(l.message)));
});

test('rules match as Higress matches them: categories, wildcards, ports, fqdn:port, prefixes, consumers, first match wins', async (t) => {
  // Each rule its own collector port, so the cluster a record went to names the rule it matched.
  const names: string[] = [];
  const tag = (name: string) => ({ ...collector, collector_port: 9000 + names.push(name) });
  const h = await harness({
    _rules_: [
      // route and service together: both must match
      { _match_route_: ['r-both'], _match_service_: ['svc-a.ns.svc.cluster.local:8080'], ...tag('route-and-service') },
      { _match_route_: ['r-exact'], ...tag('route') },
      // a rule with route and domain is a route rule: its domain is not looked at
      { _match_route_: ['r-with-domain'], _match_domain_: ['never.example'], ...tag('route-not-domain') },
      { _match_domain_: ['*.wild.example', 'pre-*', 'exact.example'], ...tag('domain') },
      { _match_service_: ['svc-b.ns.svc.cluster.local:9000', 'svc-c.ns.svc.cluster.local'], ...tag('service') },
      { _match_route_prefix_: ['team-a-'], _match_consumer_: ['alice'], ...tag('prefix-and-consumer') },
      { _match_route_prefix_: ['team-'], ...tag('prefix') },
    ],
  }, { exact: true });
  t.after(() => h.host.close());
  const cases: Array<[Req, string | null]> = [
    [{ path: '/1', route: 'r-both', cluster: 'outbound|8080||svc-a.ns.svc.cluster.local' }, 'route-and-service'],
    [{ path: '/2', route: 'r-both', cluster: 'outbound|9090||svc-a.ns.svc.cluster.local' }, null],
    [{ path: '/3', route: 'r-exact', authority: 'exact.example' }, 'route'],
    [{ path: '/4', route: 'r-with-domain', authority: 'never.example' }, 'route-not-domain'],
    [{ path: '/5', route: 'unlisted', authority: 'never.example' }, null],
    [{ path: '/6', authority: 'api.wild.example:8443' }, 'domain'],
    [{ path: '/7', authority: 'pre-prod.other' }, 'domain'],
    [{ path: '/8', authority: 'exact.example' }, 'domain'],
    [{ path: '/9', authority: 'EXACT.example' }, null],
    [{ path: '/10', authority: 'wild.example' }, null],
    [{ path: '/11', cluster: 'outbound|9000||svc-b.ns.svc.cluster.local' }, 'service'],
    [{ path: '/12', cluster: 'outbound|9001||svc-b.ns.svc.cluster.local' }, null],
    [{ path: '/13', cluster: 'outbound|1234|v1|svc-c.ns.svc.cluster.local' }, 'service'],
    [{ path: '/14', cluster: 'svc-c.ns.svc.cluster.local' }, null],
    [{ path: '/15', route: 'team-a-chat', consumer: 'alice' }, 'prefix-and-consumer'],
    [{ path: '/16', route: 'team-a-chat', consumer: 'bob' }, 'prefix'],
    [{ path: '/17', route: 'team-b-chat' }, 'prefix'],
    [{ path: '/18', route: 'xteam-' }, null],
  ];
  for (const [req] of cases) await run(h, req);
  await h.host.idle();
  const ruleOf = (cluster: string) => names[Number(cluster.split('|')[1]) - 9001];
  const got = new Map(h.vm.httpCalls.map((c) => [JSON.parse(c.body).path as string, ruleOf(c.cluster)]));
  for (const [req, want] of cases) assert.equal(got.get(req.path) ?? null, want, `${req.path} ${JSON.stringify(req)}`);
});

test('rules naming different collectors get a sender each: own cluster, queue, bound and counts', async (t) => {
  const h = await harness({
    ...collector,
    batch_size: 5,
    _rules_: [
      { _match_route_prefix_: ['audit-'], collector_service_name: OTHER_FQDN, collector_port: 8081, batch_size: 2, max_pending_records: 3, retry_backoff_ms: 60000 },
    ],
  }, { exact: true });
  t.after(() => h.host.close());
  // The audit collector fails: its first batch waits for a retry a minute away (manual clock).
  h.answer((call) => (call.cluster.includes(OTHER_FQDN) ? { status: 503 } : { status: 200 }));
  for (let i = 0; i < 5; i++) await run(h, { path: `/main/${i}`, route: 'main' });
  for (let i = 0; i < 6; i++) await run(h, { path: `/audit/${i}`, route: 'audit-log' });
  await h.host.idle();
  const byCluster = (name: string) => h.vm.httpCalls.filter((c) => c.cluster === name);
  const main = byCluster(COLLECTOR_CLUSTER);
  const audit = byCluster(`outbound|8081||${OTHER_FQDN}`);
  assert.equal(main.length, 1, 'the default collector got its own batch of 5');
  assert.equal(main[0].body.trim().split('\n').length, 5);
  assert.equal(audit.length, 1, 'the audit collector: one batch of 2, waiting for its retry');
  assert.equal(audit[0].body.trim().split('\n').length, 2);
  assert.equal(h.metric('db_log_pusher.records_sent'), 5);
  assert.equal(h.metric('db_log_pusher.records_retried'), 2);
  // The audit sender holds 2 to retry + 1 queued = its bound of 3; the other 3 were dropped,
  // while the default sender, with its own bound, dropped none.
  assert.equal(h.metric('db_log_pusher.records_dropped'), 3);
  assert.equal(h.metric('db_log_pusher.records_queued'), 3);
});

test('an invalid default configuration is set aside when rules exist; a rule without a match key is refused', async (t) => {
  const h = await harness({ batch_size: 1, sample_rate: 1, _rules_: [{ _match_route_: ['r'], ...collector }] }, { exact: true });
  t.after(() => h.host.close());
  assert.ok(h.vm.logs.some((l) => l.level === 'warn' && /default configuration set aside.*collector_service_name is required/.test(l.message)), h.vm.logs.map((l) => l.message).join('\n'));
  await run(h, { path: '/a', route: 'r' });
  await run(h, { path: '/b', route: 'x' });
  await h.host.idle();
  assert.deepEqual(h.records().map((r) => r.path), ['/a']);

  await assert.rejects(harness({ _rules_: [{ ...collector }] }, { exact: true }), /_rules_\[0\] needs one of _match_route_, _match_domain_, _match_service_ or _match_route_prefix_/);
  await assert.rejects(harness({ _rules_: [] }, { exact: true }), /collector_service_name is required/);
});

test('a consumer rule is settled at on_log, when an auth plugin after this one has set x-mse-consumer', async (t) => {
  const h = await harness({
    _rules_: [
      { _match_route_prefix_: ['team-'], _match_consumer_: ['team-a'], ...collector, collector_port: 9101 },
      { _match_route_prefix_: ['team-'], ...collector, collector_port: 9102 },
    ],
  }, { exact: true, after: [{ wasm: REWRITER_WASM, configuration: { consumer: 'team-a' } }] });
  t.after(() => h.host.close());
  await run(h, { path: '/as-team-a', route: 'team-x' });
  await h.host.idle();
  assert.deepEqual(h.vm.httpCalls.map((c) => c.cluster), [`outbound|9101||${COLLECTOR_FQDN}`]);
  assert.equal(h.records()[0].consumer, 'team-a');
});
