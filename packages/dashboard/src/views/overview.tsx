import { getJson, type StatsAnswer } from '../lib/api.js';
import { FilterBar, OVERVIEW_FILTERS } from '../components/filters.js';
import { AiKpis } from '../components/ai-kpis.js';
import { DEFAULT_COLUMNS, GroupTable, type GroupColumn } from '../components/group-table.js';
import { Kpi } from '../components/kpi.js';
import { RangeBar, useLiveRange } from '../components/range-bar.js';
import { TrafficCharts } from '../components/traffic-charts.js';
import { currencyOf, spendColumn } from '../lib/cost.js';
import { fmtBytes, fmtCompact, fmtInt, fmtMs, fmtPct } from '../lib/format.js';
import { groupLogsHref, isExpanded, logsHref, toggleExpanded } from '../lib/links.js';
import { rateLimitedCount } from '../lib/status.js';
import { navigate } from '../lib/url-state.js';
import { useApi } from '../lib/use-api.js';

interface Props {
  params: Record<string, string>;
  reload: number;
}

/** Rows of a top list; "show all" asks for up to the API's maximum. */
export const TOP_ROWS = 8;
export const ALL_ROWS = 100;

// Models and consumers show their spend too (cost by model and by consumer).
const TOPS: { by: string; title: string; extra?: Record<string, string>; spend?: boolean }[] = [
  { by: 'model', title: 'Top models', spend: true },
  { by: 'consumer', title: 'Top consumers', spend: true },
  { by: 'route', title: 'Top routes' },
  // Only MCP traffic: otherwise every model call would show up as "(none)" at the top.
  { by: 'mcp_tool', title: 'Top MCP tools', extra: { bizType: 'MCP_SERVER' } },
];

export function filterParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of OVERVIEW_FILTERS) if (params[f.name]) out[f.name] = params[f.name];
  return out;
}

export function Overview({ params, reload }: Props) {
  const range = useLiveRange(params);
  const filters = filterParams(params);
  const base = { ...filters, start_time: range.start, end: range.end };
  const key = JSON.stringify([base, reload]);
  const series = useApi(() => getJson<StatsAnswer>('stats', { ...base, interval: range.interval }), key);
  const byCode = useApi(() => getJson<StatsAnswer>('stats', { ...base, interval: range.interval, group_by: 'response_code', limit: ALL_ROWS, kpis: 'false' }), key);
  const expanded = TOPS.map((t) => isExpanded(params, t.by));
  const tops = useApi(
    () => Promise.all(TOPS.map((t, i) => getJson<StatsAnswer>('stats', { ...base, ...t.extra, group_by: t.by, limit: expanded[i] ? ALL_ROWS : TOP_ROWS, kpis: 'false' }))),
    JSON.stringify([key, expanded]),
  );

  const set = (patch: Record<string, string | undefined>) => navigate('overview', { ...params, ...patch });
  const k = series.data?.kpis;
  const limited = rateLimitedCount(byCode.data);
  const currency = currencyOf(series.data);
  const columns = (i: number): GroupColumn[] | undefined =>
    TOPS[i].spend ? [DEFAULT_COLUMNS[0], spendColumn(currencyOf(tops.data?.[i])), ...DEFAULT_COLUMNS.slice(1)] : undefined;

  return (
    <div class="overview">
      <RangeBar view="overview" params={params} range={range}>
        <a class="button" href={logsHref(filters, range)}>View these logs →</a>
      </RangeBar>
      <FilterBar fields={OVERVIEW_FILTERS} params={params} onApply={(f) => navigate('overview', { ...params, ...f })} />
      {series.error && <div class="error" role="alert">{series.error}</div>}

      <div class="kpis" data-testid="kpis">
        <Kpi id="requests" label="Requests (PV)" value={fmtInt(k?.pv)} />
        <Kpi id="uv" label="Unique clients (UV)" value={fmtInt(k?.uv)} />
        <Kpi id="error-rate" label="Error rate (≥400)" value={fmtPct(k?.error_rate)} sub={k ? `${fmtInt(k.errors_5xx)} server errors (5xx)` : ''} />
        <Kpi id="rate-limited" label="Rate limited (429)" value={byCode.data ? fmtInt(limited) : '–'} sub={k && byCode.data ? `${fmtPct(k.requests ? limited / k.requests : 0)} of requests` : ''} />
        <Kpi id="tokens" label="Total tokens" value={fmtCompact(k?.total_tokens)} sub={k ? `${fmtCompact(k.input_tokens)} in · ${fmtCompact(k.output_tokens)} out` : ''} />
        <AiKpis k={k} currency={currency} />
        <Kpi id="p95" label="Latency p95" value={fmtMs(k?.duration_p95)} sub={k ? `p50 ${fmtMs(k.duration_p50)} · p99 ${fmtMs(k.duration_p99)}` : ''} />
        <Kpi id="bytes" label="Bytes in / out" value={k ? `${fmtBytes(k.bytes_received)} / ${fmtBytes(k.bytes_sent)}` : '–'} />
        <Kpi id="fallbacks" label="Fallbacks" value={fmtInt(k?.fallback_count)} />
      </div>

      {series.data?.timestamps && series.data.series && <TrafficCharts answer={series.data} byCode={byCode.data} />}

      <div class="tops">
        {TOPS.map((t, i) => (
          <GroupTable
            title={t.title}
            by={t.by}
            groups={tops.data?.[i]?.groups}
            columns={columns(i)}
            onPick={(g) => g !== null && set({ [t.by]: String(g) })}
            logsHref={(g) => groupLogsHref(filters, range, t.by, g)}
            expand={{ shown: TOP_ROWS, expanded: expanded[i], toggle: () => set({ all: toggleExpanded(params, t.by) }) }}
          />
        ))}
      </div>
    </div>
  );
}
