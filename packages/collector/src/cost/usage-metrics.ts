import { Counter, type Registry } from 'prom-client';
import { FIELDS, type FieldName } from '@db-log-pusher/schema';

/** A normalised row (ingest/normalize.ts's Row). */
type Row = (string | number | null)[];

const at = (name: FieldName): number => FIELDS.findIndex((f) => f.name === name);
const MODEL = at('model');
const CONSUMER = at('consumer');
const COST = at('cost');
/** Token kinds counted, and the column of each. */
const KINDS = [
  ['input', at('input_tokens')],
  ['output', at('output_tokens')],
  ['cached', at('cached_tokens')],
  ['cache_write', at('cache_write_tokens')],
  ['reasoning', at('reasoning_tokens')],
] as const;
/** Distinct (model, consumer) pairs held between two scrapes; past it new pairs count as `other`. */
const MAX_PENDING = 10_000;
export const OTHER = 'other';
const NONE = 'none';

interface Sums {
  requests: number;
  cost: number;
  tokens: number[];
}

const sums = (): Sums => ({ requests: 0, cost: 0, tokens: KINDS.map(() => 0) });

function add(into: Sums, from: Sums): void {
  into.requests += from.requests;
  into.cost += from.cost;
  for (let k = 0; k < KINDS.length; k++) into.tokens[k] += from.tokens[k];
}

/**
 * Prometheus counters of AI usage by model and consumer: requests, tokens by kind, and cost.
 * Label values are bounded: at most `limit` models and `limit` consumers get a label of their
 * own, the rest are `other`. Which ones: at each scrape, the busiest (by requests) of the values
 * seen since the last one fill the free places, with all they counted so far; the others are
 * folded into `other`. A value once labelled stays so, so every series only grows, as counters must.
 */
export class UsageMetrics {
  private readonly labelled = { model: new Set<string>(), consumer: new Set<string>() };
  /** Counts since the last scrape, by raw "model\0consumer". */
  private pending = new Map<string, Sums>();
  private readonly requests: Counter<'model' | 'consumer'>;
  private readonly tokens: Counter<'model' | 'consumer' | 'kind'>;
  private readonly cost: Counter<'model' | 'consumer' | 'currency'>;

  constructor(registry: Registry, private readonly limit: number, private readonly currency: string) {
    const self = this;
    this.requests = new Counter({
      name: 'log_collector_ai_requests_total',
      help: `Accepted records with a model, by model and consumer (at most ${limit} values each, the rest "other")`,
      labelNames: ['model', 'consumer'],
      registers: [registry],
      collect() {
        self.flush();
      },
    });
    // Each flushes on collect, whichever the registry reads first.
    this.tokens = new Counter({
      name: 'log_collector_tokens_total',
      help: 'Tokens of accepted records by model, consumer and kind (input includes cached and cache_write; output includes reasoning)',
      labelNames: ['model', 'consumer', 'kind'],
      registers: [registry],
      collect() {
        self.flush();
      },
    });
    this.cost = new Counter({
      name: 'log_collector_cost_total',
      help: "Cost of accepted records by model and consumer, in the price table's currency",
      labelNames: ['model', 'consumer', 'currency'],
      registers: [registry],
      collect() {
        self.flush();
      },
    });
  }

  /** Counts the rows of an accepted request. */
  observe(rows: readonly Row[]): void {
    for (const r of rows) {
      const model = r[MODEL];
      if (typeof model !== 'string' || model === '') continue;
      const consumer = typeof r[CONSUMER] === 'string' && r[CONSUMER] !== '' ? (r[CONSUMER] as string) : NONE;
      let key = `${model}\u0000${consumer}`;
      let s = this.pending.get(key);
      if (!s) {
        if (this.pending.size >= MAX_PENDING) key = `${OTHER}\u0000${OTHER}`;
        s = this.pending.get(key) ?? sums();
        this.pending.set(key, s);
      }
      s.requests++;
      const c = r[COST];
      if (typeof c === 'number') s.cost += c;
      for (let k = 0; k < KINDS.length; k++) {
        const v = r[KINDS[k][1]];
        if (typeof v === 'number') s.tokens[k] += v;
      }
    }
  }

  /** Places for the busiest new values of one label, then each raw value → its label. */
  private promote(dim: 'model' | 'consumer', index: 0 | 1): (raw: string) => string {
    const set = this.labelled[dim];
    const busy = new Map<string, number>();
    for (const [key, s] of this.pending) {
      const v = key.split('\u0000')[index];
      if (!set.has(v) && v !== OTHER) busy.set(v, (busy.get(v) ?? 0) + s.requests);
    }
    const ranked = [...busy].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    for (const [v] of ranked) {
      if (set.size >= this.limit) break;
      set.add(v);
    }
    return (raw) => (set.has(raw) ? raw : OTHER);
  }

  /** At a scrape: the counts since the last one go into the counters, under bounded labels. */
  private flush(): void {
    if (this.pending.size === 0) return;
    const model = this.promote('model', 0);
    const consumer = this.promote('consumer', 1);
    const out = new Map<string, Sums>();
    for (const [key, s] of this.pending) {
      const [m, c] = key.split('\u0000');
      const k = `${model(m)}\u0000${consumer(c)}`;
      const o = out.get(k) ?? sums();
      add(o, s);
      out.set(k, o);
    }
    this.pending = new Map();
    for (const [key, s] of out) {
      const [m, c] = key.split('\u0000');
      this.requests.inc({ model: m, consumer: c }, s.requests);
      if (s.cost > 0) this.cost.inc({ model: m, consumer: c, currency: this.currency }, s.cost);
      for (let k = 0; k < KINDS.length; k++) if (s.tokens[k] > 0) this.tokens.inc({ model: m, consumer: c, kind: KINDS[k][0] }, s.tokens[k]);
    }
  }
}
