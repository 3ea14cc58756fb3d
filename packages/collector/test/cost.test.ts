// The price table's matching rules, the cost formula, the built-in table and PRICES_FILE errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/index.js';
import { BUILTIN_PRICES, PRICES_TAKEN } from '../src/cost/builtin.js';
import { costOf } from '../src/cost/cost.js';
import { parsePriceFile, PriceTable } from '../src/cost/prices.js';
import { removeDir, tempDir } from './helpers.js';

const table = new PriceTable({
  currency: 'USD',
  models: {
    'gpt-4o': { input: 2.5, output: 10, cached_input: 1.25 },
    'gpt-4o*': { input: 5, output: 15 },
    'gpt-4o-mini*': { input: 0.15, output: 0.6 },
    'claude-*': { input: 3, output: 15, cached_input: 0.3, cache_write_input: 3.75 },
  },
});

test('exact beats prefix, a longer prefix beats a shorter, provider/ is tried without it, case-insensitively', () => {
  assert.equal(table.lookup('gpt-4o')?.key, 'gpt-4o');
  assert.equal(table.lookup('GPT-4o')?.key, 'gpt-4o');
  assert.equal(table.lookup('gpt-4o-2024-08-06')?.key, 'gpt-4o*');
  assert.equal(table.lookup('gpt-4o-mini-2024-07-18')?.key, 'gpt-4o-mini*');
  assert.equal(table.lookup('openai/gpt-4o')?.key, 'gpt-4o');
  assert.equal(table.lookup('bedrock/claude-3-5-sonnet')?.key, 'claude-*');
  assert.equal(table.lookup('qwen-max'), undefined);
  assert.equal(table.lookup('openai/qwen-max'), undefined);
  assert.equal(table.lookup(null), undefined);
});

test('cost: cached and cache-write tokens at their prices (the input price when missing), null without tokens', () => {
  const p = table.lookup('gpt-4o')!;
  assert.equal(costOf({ input: 1000, output: 200, cached: 400, cacheWrite: null }, p), 0.004);
  const q = table.lookup('gpt-4o-x')!; // no cached price: the input price
  assert.equal(costOf({ input: 1000, output: 0, cached: 400, cacheWrite: null }, q), 0.005);
  const c = table.lookup('claude-x')!;
  assert.equal(costOf({ input: 1000, output: 100, cached: 500, cacheWrite: 300 }, c), (200 * 3 + 500 * 0.3 + 300 * 3.75 + 100 * 15) / 1e6);
  assert.equal(costOf({ input: null, output: null, cached: null, cacheWrite: null }, p), null);
  // Inconsistent counts (more cached than input) never price below the cached part.
  assert.equal(costOf({ input: 10, output: 0, cached: 20, cacheWrite: null }, p), 20 * 1.25 / 1e6);
});

test('the built-in table prices the widely used models and says when its prices were taken', () => {
  assert.match(PRICES_TAKEN, /^\d{4}-\d{2}-\d{2}$/);
  const t = new PriceTable(BUILTIN_PRICES);
  assert.deepEqual(t.lookup('gpt-4o-2024-11-20'), { key: 'gpt-4o*', input: 2.5, output: 10, cachedInput: 1.25, cacheWriteInput: 2.5 });
  assert.equal(t.lookup('gpt-4o-mini')?.input, 0.15);
  assert.equal(t.lookup('claude-3-5-sonnet-20241022')?.cacheWriteInput, 3.75);
  assert.equal(t.lookup('claude-sonnet-4-20250514')?.cachedInput, 0.3);
  assert.equal(t.lookup('claude-3-5-haiku-latest')?.output, 4);
  assert.equal(t.lookup('openai/gpt-4.1-mini')?.input, 0.4);
  assert.equal(t.lookup('qwen-turbo'), undefined);
});

test('a bad price file is a configuration error naming the model and the price', () => {
  const bad: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{ models: [] }, /models must be an object/],
    [{ models: { 'gpt-4o': { input: -1, output: 1 } } }, /"gpt-4o": input must be a number/],
    [{ models: { 'gpt-4o': { input: 1 } } }, /"gpt-4o": output must be a number/],
    [{ models: { 'gpt-4o': { input: 1, output: 1, cache_input: 1 } } }, /unknown price "cache_input"/],
    [{ models: { 'g*pt': { input: 1, output: 1 } } }, /only at the end/],
    [{ models: { "it's": { input: 1, output: 1 } } }, /without quotes/],
    [{ currency: 12, models: {} }, /currency/],
  ];
  for (const [v, re] of bad) assert.throws(() => parsePriceFile(v, 'p.json'), re);
  const dir = tempDir();
  try {
    const file = join(dir, 'prices.json');
    writeFileSync(file, '{"models": {"x": {"input": "2", "output": 1}}}');
    assert.throws(() => loadConfig({ PRICES_FILE: file }), (e: Error) => e instanceof ConfigError && /PRICES_FILE .*"x": input/.test(e.message));
    assert.throws(() => loadConfig({ PRICES_FILE: join(dir, 'missing.json') }), (e: Error) => e instanceof ConfigError && /cannot read/.test(e.message));
    writeFileSync(file, '{"currency": "eur", "models": {"x": {"input": 2, "output": 1}}}');
    const cfg = loadConfig({}, ['--prices-file', file]);
    assert.equal(cfg.prices.currency, 'EUR');
    assert.equal(cfg.prices.lookup('gpt-4o'), undefined, 'the file replaces the built-in table');
  } finally {
    removeDir(dir);
  }
});
