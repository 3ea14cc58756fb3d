import type { Kpis } from '../lib/api.js';
import { costOf, fmtCost } from '../lib/cost.js';
import { fmtCompact, fmtMs, fmtPct } from '../lib/format.js';
import { Kpi } from './kpi.js';

/**
 * What the AI usage fields add to a view's headline: spend (null cost reads "not priced"), the
 * first-token p95 of streamed answers and the share of input tokens read from the prompt cache.
 */
export function AiKpis({ k, currency, spend = true }: { k: Kpis | undefined; currency: string; spend?: boolean }) {
  return (
    <>
      {spend && <Kpi id="spend" label="Spend" value={k ? fmtCost(costOf(k), currency) : '–'} />}
      <Kpi id="first-token" label="First token p95 (streams)" value={fmtMs(k?.first_token_p95)} sub={k ? `p50 ${fmtMs(k.first_token_p50)}` : ''} />
      <Kpi id="cached" label="Cached input" value={fmtPct(k?.cached_share)} sub={k ? `${fmtCompact(k.cached_tokens)} of ${fmtCompact(k.input_tokens)} input tokens` : ''} />
    </>
  );
}
