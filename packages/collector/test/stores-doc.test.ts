// The READMEs' store table is the one generated from src/store/catalog.ts, and the catalog names
// every kind of database the configuration accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { STORES, storeTable } from '../src/store/catalog.js';
import { loadConfig } from '../src/index.js';

test("both READMEs carry the store table generated from the catalog", () => {
  for (const url of [new URL('../README.md', import.meta.url), new URL('../../../README.md', import.meta.url)]) {
    const readme = readFileSync(url, 'utf8');
    const m = /<!-- stores:begin[^>]*-->\n([\s\S]*?)\n<!-- stores:end -->/.exec(readme);
    assert.ok(m, `${url.pathname} has the stores markers`);
    assert.equal(m[1], storeTable(), `${url.pathname}: regenerate the table from src/store/catalog.ts`);
  }
});

test('the catalog has one entry per database kind the configuration accepts', () => {
  const kinds = ['sqlite:x.db', 'mysql://u@h/db', 'postgres://u@h/db', 'clickhouse://u@h/db'].map((u) => loadConfig({ DATABASE_URL: u }, []).database.kind);
  assert.equal(STORES.length, new Set(kinds).size);
  for (const [i, name] of ['SQLite', 'MySQL', 'PostgreSQL', 'ClickHouse'].entries()) assert.ok(STORES[i].store.startsWith(name), `${kinds[i]}: ${STORES[i].store}`);
});
