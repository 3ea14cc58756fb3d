import { useMemo } from 'preact/hooks';
import type { StatsAnswer } from '../lib/api.js';
import { costSeries, currencyOf, fmtCost } from '../lib/cost.js';
import { fmtAxisNum, fmtAxisPct, fmtCompact, fmtMs, fmtMsShort } from '../lib/format.js';
import { rateLimitedSeries } from '../lib/status.js';
import { TimeChart, type ChartSeries } from './chart.js';

const pct = (x: number) => `${x.toFixed(1)}%`;

/**
 * Requests (with 4xx, 429 and 5xx apart), error rate, tokens, spend and latency over time, from
 * an ungrouped `/stats` series and its `group_by=response_code` twin (for the 429s). `tokens`
 * off (the MCP view) leaves out tokens and spend.
 */
export function TrafficCharts({ answer, byCode, tokens = true }: { answer: StatsAnswer; byCode?: StatsAnswer | null; tokens?: boolean }) {
  const ts = answer.timestamps ?? [];
  const v = answer.series?.[0]?.values;
  const charts = useMemo(() => {
    if (!v) return null;
    const limited = rateLimitedSeries(byCode, ts.length);
    const other4xx = v.errors.map((e, i) => Math.max(0, (e ?? 0) - (v.errors_5xx[i] ?? 0) - limited[i]));
    const rate = v.requests.map((r, i) => (r ? ((v.errors[i] ?? 0) / r) * 100 : null));
    const req: ChartSeries[] = [
      { label: 'requests', values: v.requests, color: '#4c9aff', fill: true },
      { label: '4xx', values: other4xx, color: '#ffab00' },
      { label: '429', values: limited, color: '#c77dff' },
      { label: '5xx', values: v.errors_5xx, color: '#ff5630' },
    ];
    const err: ChartSeries[] = [{ label: 'error rate %', values: rate, color: '#ff5630', fill: true }];
    const tok: ChartSeries[] = [
      { label: 'input', values: v.input_tokens, color: '#36b37e', fill: true },
      { label: 'output', values: v.output_tokens, color: '#998dd9', fill: true },
    ];
    const lat: ChartSeries[] = [
      { label: 'p50', values: v.duration_p50, color: '#4c9aff' },
      { label: 'p95', values: v.duration_p95, color: '#ffab00' },
      { label: 'p99', values: v.duration_p99, color: '#ff5630' },
    ];
    const c = costSeries(answer);
    const cost: ChartSeries[] | null = c ? [{ label: 'spend', values: c, color: '#ffab00', fill: true }] : null;
    return { req, err, tok, lat, cost };
  }, [answer, byCode]);
  if (!charts) return null;
  return (
    <div class="charts">
      <TimeChart testId="chart-requests" title="Requests" timestamps={ts} series={charts.req} format={fmtCompact} axisFormat={fmtAxisNum} integer />
      <TimeChart testId="chart-errors" title="Error rate" timestamps={ts} series={charts.err} format={pct} axisFormat={fmtAxisPct} />
      {tokens && <TimeChart testId="chart-tokens" title="Tokens" timestamps={ts} series={charts.tok} format={fmtCompact} axisFormat={fmtAxisNum} integer />}
      {tokens && (charts.cost ? (
        <TimeChart testId="chart-spend" title="Spend" timestamps={ts} series={charts.cost} format={(x) => fmtCost(x, currencyOf(answer))} axisFormat={fmtAxisNum} />
      ) : (
        <section class="card chart" data-testid="chart-spend">
          <h3>Spend</h3>
          <p class="muted">Not priced: no record in this range has a price.</p>
        </section>
      ))}
      <TimeChart testId="chart-latency" title="Latency" timestamps={ts} series={charts.lat} format={fmtMs} axisFormat={fmtMsShort} />
    </div>
  );
}
