import { useMemo } from 'preact/hooks';
import { getJson, type GroupKey, type StatsAnswer } from '../lib/api.js';
import { TimeChart, type ChartSeries } from '../components/chart.js';
import { FilterBar, type FilterField } from '../components/filters.js';
import { DEFAULT_COLUMNS, GroupTable, type GroupColumn, type GroupRow } from '../components/group-table.js';
import { AiKpis } from '../components/ai-kpis.js';
import { Kpi } from '../components/kpi.js';
import { RangeBar, useLiveRange } from '../components/range-bar.js';
import { costOf, costSeries, currencyOf, fmtCost, spendColumn } from '../lib/cost.js';
import { fmtAxisNum, fmtCompact, fmtInt, fmtMs, fmtPct } from '../lib/format.js';
import { groupLogsHref, logsHref } from '../lib/links.js';
import { RATE_LIMITED } from '../lib/status.js';
import { navigate } from '../lib/url-state.js';
import { useApi } from '../lib/use-api.js';

/** Filters of this view; the consumer itself is picked from the table (`selected`). */
const FILTERS: FilterField[] = [
  { name: 'model', label: 'model' },
  { name: 'route', label: 'route' },
  { name: 'api', label: 'api' },
];
const ALL = 100;
const TOP_MODELS = 10;

function pick(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FILTERS) if (params[f.name]) out[f.name] = params[f.name];
  return out;
}

/** Spend, tokens and errors per consumer (the API key or user the gateway authenticated), and what each one uses. */
export function Consumers({ params, reload }: { params: Record<string, string>; reload: number }) {
  const range = useLiveRange(params);
  const filters = pick(params);
  const base = { ...filters, start_time: range.start, end: range.end };
  const key = JSON.stringify([base, reload]);
  const all = useApi(() => getJson<StatsAnswer>('stats', { ...base, group_by: 'consumer', limit: ALL }), key);
  // The 429s per consumer (and in all): the same grouping over the rate-limited requests only.
  const limited = useApi(() => getJson<StatsAnswer>('stats', { ...base, group_by: 'consumer', limit: ALL, response_code: RATE_LIMITED }), key);
  const rows = useMemo(() => {
    const by429 = new Map((limited.data?.groups ?? []).map((g) => [g.key, g.requests]));
    return (all.data?.groups ?? []).map((g): GroupRow => ({ ...g, rate_limited: by429.get(g.key) ?? 0 }));
  }, [all.data, limited.data]);
  const currency = currencyOf(all.data);
  const columns: GroupColumn[] = [
    { label: 'requests', value: (g) => fmtInt(g.requests) },
    { label: 'spend', value: (g) => fmtCost(costOf(g), currency) },
    { label: 'input', value: (g) => fmtCompact(g.input_tokens) },
    { label: 'output', value: (g) => fmtCompact(g.output_tokens) },
    { label: 'tokens', value: (g) => fmtCompact(g.total_tokens) },
    { label: 'errors', value: (g) => (g.requests ? fmtPct(g.errors / g.requests) : '–') },
    { label: '429', value: (g) => fmtInt(g.rate_limited ?? 0) },
    { label: '5xx', value: (g) => fmtInt(g.errors_5xx) },
    { label: 'p95', value: (g) => fmtMs(g.duration_p95) },
    { label: 'first token p95', value: (g) => fmtMs(g.first_token_p95) },
    { label: 'cached', value: (g) => fmtPct(g.cached_share) },
  ];
  const selected: GroupKey = params.selected ?? rows.find((g) => g.key !== null)?.key ?? null;
  const k = all.data?.kpis;
  const consumers = rows.filter((g) => g.key !== null).length;

  return (
    <div class="consumers">
      <RangeBar view="consumers" params={params} range={range}>
        <a class="button" href={logsHref(filters, range)}>View these logs →</a>
      </RangeBar>
      <FilterBar fields={FILTERS} params={params} onApply={(f) => navigate('consumers', { ...params, ...f })} />
      {all.error && <div class="error" role="alert">{all.error}</div>}
      <div class="kpis" data-testid="kpis">
        <Kpi id="consumers" label="Consumers" value={all.data ? fmtInt(consumers) : '–'} sub={k ? `${fmtInt(k.requests)} requests` : ''} />
        <Kpi id="spend" label="Spend" value={k ? fmtCost(costOf(k), currency) : '–'} />
        <AiKpis k={k} currency={currency} spend={false} />
        <Kpi id="tokens" label="Total tokens" value={fmtCompact(k?.total_tokens)} sub={k ? `${fmtCompact(k.input_tokens)} in · ${fmtCompact(k.output_tokens)} out` : ''} />
        <Kpi id="error-rate" label="Error rate (≥400)" value={fmtPct(k?.error_rate)} sub={k ? `${fmtInt(k.errors_5xx)} server errors (5xx)` : ''} />
        <Kpi id="rate-limited" label="Rate limited (429)" value={fmtInt(limited.data?.kpis?.requests)} />
      </div>
      <GroupTable
        title="Consumers"
        by="consumer"
        groups={rows}
        columns={columns}
        selected={selected}
        onPick={(g) => g !== null && navigate('consumers', { ...params, selected: String(g) })}
        logsHref={(g) => groupLogsHref(filters, range, 'consumer', g)}
      />
      {selected !== null && <ConsumerDetail consumer={String(selected)} base={base} filters={filters} range={range} reload={reload} />}
    </div>
  );
}

/** One consumer: its tokens and spend over time and the models it calls most. */
function ConsumerDetail({ consumer, base, filters, range, reload }: { consumer: string; base: Record<string, string>; filters: Record<string, string>; range: ReturnType<typeof useLiveRange>; reload: number }) {
  const key = JSON.stringify([base, consumer, reload]);
  // With its KPIs: they say whether anything of the consumer is priced (see costSeries).
  const series = useApi(() => getJson<StatsAnswer>('stats', { ...base, consumer, interval: range.interval }), key);
  const models = useApi(() => getJson<StatsAnswer>('stats', { ...base, consumer, group_by: 'model', limit: TOP_MODELS, kpis: 'false' }), key);
  const tok = useMemo((): ChartSeries[] | null => {
    const v = series.data?.series?.[0]?.values;
    return v
      ? [
          { label: 'input', values: v.input_tokens, color: '#36b37e', fill: true },
          { label: 'output', values: v.output_tokens, color: '#998dd9', fill: true },
        ]
      : null;
  }, [series.data]);
  const spend = useMemo((): ChartSeries[] | null => {
    const c = costSeries(series.data);
    return c ? [{ label: 'spend', values: c, color: '#ffab00', fill: true }] : null;
  }, [series.data]);
  const currency = currencyOf(models.data);
  const modelColumns: GroupColumn[] = [DEFAULT_COLUMNS[0], spendColumn(currency), ...DEFAULT_COLUMNS.slice(1)];
  return (
    <div class="consumer-detail" data-testid="consumer-detail">
      <h2>{consumer}</h2>
      <div class="charts">
        {tok && <TimeChart testId="chart-consumer-tokens" title={`Tokens of ${consumer}`} timestamps={series.data!.timestamps!} series={tok} format={fmtCompact} axisFormat={fmtAxisNum} integer />}
        {spend ? (
          <TimeChart testId="chart-consumer-spend" title={`Spend of ${consumer}`} timestamps={series.data!.timestamps!} series={spend} format={(c) => fmtCost(c, currency)} axisFormat={fmtAxisNum} />
        ) : (
          <section class="card chart" data-testid="chart-consumer-spend">
            <h3>Spend of {consumer}</h3>
            <p class="muted">Not priced: none of its records in this range has a price.</p>
          </section>
        )}
      </div>
      <GroupTable
        title={`Top models of ${consumer}`}
        by="model"
        groups={models.data?.groups}
        columns={modelColumns}
        logsHref={(g) => groupLogsHref({ ...filters, consumer }, range, 'model', g)}
      />
    </div>
  );
}
