import { readFileSync, statSync } from 'node:fs';

/** Prices of one model per 1M tokens; a missing cached or cache-write price is the input price. */
export interface ModelPrice {
  input: number;
  output: number;
  cached_input?: number;
  cache_write_input?: number;
}

/** The PRICES_FILE format: `{"currency": "USD", "models": {"gpt-4o": {...}, "claude-*": {...}}}`. */
export interface PriceFile {
  currency: string;
  models: Record<string, ModelPrice>;
}

/** Bounds on a price file, so a wrong path (a log file, say) fails fast instead of filling memory. */
const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_MODELS = 10_000;
const MAX_KEY = 255;
const PRICE_KEYS = ['input', 'output', 'cached_input', 'cache_write_input'] as const;

export class PriceFileError extends Error {
  override name = 'PriceFileError';
}

/** One price entry, resolved: every price present (the defaults filled in). */
export interface Price {
  key: string;
  input: number;
  output: number;
  cachedInput: number;
  cacheWriteInput: number;
}

/**
 * A compiled price table. Model names match case-insensitively: a key ending in `*` matches by
 * prefix; an exact key beats a prefix, a longer prefix a shorter; a name with a `provider/`
 * prefix (`openai/gpt-4o`) that matches nothing as it is is tried without its first segment.
 */
export class PriceTable {
  readonly currency: string;
  /** Exact keys (lower case) → price. */
  readonly exact = new Map<string, Price>();
  /** Prefix keys (lower case, without `*`), longest first. */
  readonly prefixes: { prefix: string; price: Price }[] = [];

  constructor(file: PriceFile) {
    this.currency = file.currency;
    for (const [key, p] of Object.entries(file.models)) {
      const price: Price = { key, input: p.input, output: p.output, cachedInput: p.cached_input ?? p.input, cacheWriteInput: p.cache_write_input ?? p.input };
      const k = key.toLowerCase();
      if (k.endsWith('*')) this.prefixes.push({ prefix: k.slice(0, -1), price });
      else this.exact.set(k, price);
    }
    this.prefixes.sort((a, b) => b.prefix.length - a.prefix.length || (a.prefix < b.prefix ? -1 : 1));
  }

  private match(name: string): Price | undefined {
    const e = this.exact.get(name);
    if (e) return e;
    for (const { prefix, price } of this.prefixes) if (name.startsWith(prefix)) return price;
    return undefined;
  }

  /** The price of a model, or undefined when it has none. */
  lookup(model: string | null | undefined): Price | undefined {
    if (!model) return undefined;
    const name = model.toLowerCase();
    const found = this.match(name);
    if (found) return found;
    const slash = name.indexOf('/');
    return slash >= 0 ? this.match(name.slice(slash + 1)) : undefined;
  }
}

function isPrice(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1e6;
}

/** Validates a parsed price file; the error names the model and the price that is wrong. */
export function parsePriceFile(v: unknown, source: string): PriceFile {
  const fail = (msg: string) => new PriceFileError(`${source}: ${msg}`);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw fail('must be a JSON object {"currency": "USD", "models": {...}}');
  const o = v as Record<string, unknown>;
  const currency = o.currency ?? 'USD';
  if (typeof currency !== 'string' || !/^[A-Za-z]{1,8}$/.test(currency)) throw fail('currency must be a code such as "USD"');
  const models = o.models;
  if (models === null || typeof models !== 'object' || Array.isArray(models)) throw fail('models must be an object of model name → prices');
  const entries = Object.entries(models as Record<string, unknown>);
  if (entries.length > MAX_MODELS) throw fail(`at most ${MAX_MODELS} models`);
  const out: Record<string, ModelPrice> = {};
  for (const [key, p] of entries) {
    // No quotes, backslashes or control characters: keys are written into SQL literals (cost/sql.ts).
    if (key === '' || key.length > MAX_KEY || /['"\\\x00-\x1f]/.test(key) || (key.includes('*') && key.indexOf('*') !== key.length - 1)) {
      throw fail(`model "${key.slice(0, 60)}": a name of 1 to ${MAX_KEY} characters without quotes or backslashes, with * only at the end`);
    }
    if (p === null || typeof p !== 'object' || Array.isArray(p)) throw fail(`model "${key}" must be an object {"input": …, "output": …}`);
    const prices = p as Record<string, unknown>;
    for (const k of Object.keys(prices)) if (!(PRICE_KEYS as readonly string[]).includes(k)) throw fail(`model "${key}": unknown price "${k}" (use ${PRICE_KEYS.join(', ')})`);
    for (const k of PRICE_KEYS) {
      const x = prices[k];
      if (x === undefined && (k === 'cached_input' || k === 'cache_write_input')) continue;
      if (!isPrice(x)) throw fail(`model "${key}": ${k} must be a number of ${currency} per 1M tokens, at least 0`);
    }
    out[key] = prices as unknown as ModelPrice;
  }
  return { currency: currency.toUpperCase(), models: out };
}

/** Reads and validates PRICES_FILE. */
export function loadPriceFile(path: string): PriceFile {
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new PriceFileError(`${path}: larger than ${MAX_FILE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof PriceFileError) throw e;
    throw new PriceFileError(`cannot read ${path}: ${(e as Error).message}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new PriceFileError(`${path}: malformed JSON: ${(e as Error).message}`);
  }
  return parsePriceFile(v, path);
}
