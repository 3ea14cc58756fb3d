import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  FIELDS, SEED_FIELDS, OPTIONAL_FIELDS, createTableSql, recordJsonSchema, fieldsMarkdownTable,
  FIELDS_TABLE_START, FIELDS_TABLE_END, SEED_TABLE_SQL_PATH,
} from '@db-log-pusher/schema';

const seedSql = readFileSync(SEED_TABLE_SQL_PATH, 'utf8');

/** Column name → type as written in the seed's CREATE TABLE (id and created_at excluded). */
function seedColumns(): Array<[string, string]> {
  const cols: Array<[string, string]> = [];
  for (const line of seedSql.split('\n')) {
    const m = /^([a-z_]+) ([A-Z]+(?:\(\d+\))?)/.exec(line.trim());
    if (m && m[1] !== 'id' && m[1] !== 'created_at') cols.push([m[1], m[2]]);
  }
  return cols;
}

test('the field list holds the seed table columns, in the seed order, with the seed types', () => {
  const cols = seedColumns();
  assert.equal(cols.length, 37, 'seed table has 36 documented fields plus istio_policy_status');
  assert.deepEqual(SEED_FIELDS.map((f) => f.name), cols.map(([n]) => n));
  for (const [name, type] of cols) {
    const f = FIELDS.find((x) => x.name === name)!;
    const ours = f.sql.mysql.replace(' NOT NULL', '').replace('DATETIME(3)', 'DATETIME');
    assert.equal(ours, type, `mysql type of ${name}`);
  }
});

test('optional fields: the four capture fields the reference plugin can send, then the AI usage fields', () => {
  assert.deepEqual(OPTIONAL_FIELDS.map((f) => f.name), [
    'req_headers', 'resp_headers', 'req_body', 'resp_body',
    'cached_tokens', 'cache_write_tokens', 'reasoning_tokens', 'llm_first_token_duration', 'llm_service_duration',
    'response_type', 'session_id', 'cost',
  ]);
});

test('cost is an exact decimal where the database has one, a non-negative number on the wire', () => {
  const cost = FIELDS.find((f) => f.name === 'cost')!;
  assert.equal(cost.sql.mysql, 'DECIMAL(18,10)');
  assert.equal(cost.sql.postgres, 'NUMERIC(18,10)');
  assert.equal(cost.sql.clickhouse, 'Nullable(Decimal(18, 10))');
  const s = recordJsonSchema() as { properties: Record<string, { type: string[]; minimum?: number }> };
  assert.deepEqual(s.properties.cost.type, ['number', 'null']);
  assert.equal(s.properties.cost.minimum, 0);
});

test('every dialect DDL names every field', () => {
  for (const d of ['mysql', 'sqlite', 'postgres', 'clickhouse'] as const) {
    const ddl = createTableSql(d).join(';\n');
    for (const f of FIELDS) assert.match(ddl, new RegExp(`\\b${f.name}\\b`), `${d} DDL lacks ${f.name}`);
  }
});

test('the seed indexes are all created on tables the collector creates', () => {
  const ddl = createTableSql('mysql')[0];
  for (const m of seedSql.matchAll(/INDEX (idx_\w+) \((\w+)\)/g)) {
    assert.ok(ddl.includes(`INDEX ${m[1]} (${m[2]})`), `missing ${m[1]}`);
  }
});

test('JSON Schema types follow the field list', () => {
  const s = recordJsonSchema() as { properties: Record<string, { type: string | string[] }>; required: string[] };
  assert.deepEqual(Object.keys(s.properties), FIELDS.map((f) => f.name));
  assert.deepEqual(s.required, ['start_time']);
  assert.deepEqual(s.properties.response_code.type, ['integer', 'null']);
  assert.deepEqual(s.properties.ai_log.type, ['object', 'string', 'null']);
});

test('README field table is the generated one (run `npm run docs` after changing fields)', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const a = readme.indexOf(FIELDS_TABLE_START);
  const b = readme.indexOf(FIELDS_TABLE_END);
  assert.ok(a >= 0 && b > a, 'README has the field table markers');
  assert.equal(readme.slice(a + FIELDS_TABLE_START.length, b).trim(), fieldsMarkdownTable());
});
