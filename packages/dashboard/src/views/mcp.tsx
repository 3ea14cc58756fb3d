import { getJson, type StatsAnswer } from '../lib/api.js';
import { FilterBar, type FilterField } from '../components/filters.js';
import { GroupTable, type GroupColumn } from '../components/group-table.js';
import { Kpi } from '../components/kpi.js';
import { RangeBar, useLiveRange } from '../components/range-bar.js';
import { TrafficCharts } from '../components/traffic-charts.js';
import { fmtInt, fmtMs, fmtPct } from '../lib/format.js';
import { groupLogsHref, logsHref } from '../lib/links.js';
import { rateLimitedCount } from '../lib/status.js';
import { navigate } from '../lib/url-state.js';
import { useApi } from '../lib/use-api.js';

/** Only records with an MCP server: tool calls, not model calls. */
const MCP_ONLY = { bizType: 'MCP_SERVER' };
const FILTERS: FilterField[] = [
  { name: 'mcp_server', label: 'MCP server' },
  { name: 'consumer', label: 'consumer' },
  { name: 'route', label: 'route' },
];
const ALL = 100;

const COLUMNS: GroupColumn[] = [
  { label: 'calls', value: (g) => fmtInt(g.requests) },
  { label: 'errors', value: (g) => (g.requests ? fmtPct(g.errors / g.requests) : '–') },
  { label: '5xx', value: (g) => fmtInt(g.errors_5xx) },
  { label: 'p50', value: (g) => fmtMs(g.duration_p50) },
  { label: 'p95', value: (g) => fmtMs(g.duration_p95) },
  { label: 'p99', value: (g) => fmtMs(g.duration_p99) },
];

function pick(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of FILTERS) if (params[f.name]) out[f.name] = params[f.name];
  return out;
}

/** MCP servers and their tools: calls, error rates and latency. Picking a server narrows the tools to it. */
export function Mcp({ params, reload }: { params: Record<string, string>; reload: number }) {
  const range = useLiveRange(params);
  const filters = pick(params);
  const base = { ...filters, ...MCP_ONLY, start_time: range.start, end: range.end };
  const key = JSON.stringify([base, reload]);
  const series = useApi(() => getJson<StatsAnswer>('stats', { ...base, interval: range.interval }), key);
  const byCode = useApi(() => getJson<StatsAnswer>('stats', { ...base, interval: range.interval, group_by: 'response_code', limit: ALL, kpis: 'false' }), key);
  // Every server stays listed while one is picked.
  const servers = useApi(() => getJson<StatsAnswer>('stats', { ...base, mcp_server: undefined, group_by: 'mcp_server', limit: ALL, kpis: 'false' }), key);
  const tools = useApi(() => getJson<StatsAnswer>('stats', { ...base, group_by: 'mcp_tool', limit: ALL, kpis: 'false' }), key);
  const k = series.data?.kpis;
  const set = (patch: Record<string, string | undefined>) => navigate('mcp', { ...params, ...patch });

  return (
    <div class="mcp">
      <RangeBar view="mcp" params={params} range={range}>
        <a class="button" href={logsHref({ ...filters, ...MCP_ONLY }, range)}>View these logs →</a>
      </RangeBar>
      <FilterBar fields={FILTERS} params={params} onApply={(f) => navigate('mcp', { ...params, ...f })} />
      {series.error && <div class="error" role="alert">{series.error}</div>}
      <div class="kpis" data-testid="kpis">
        <Kpi id="calls" label="Tool calls" value={fmtInt(k?.requests)} />
        <Kpi id="servers" label="Servers · tools" value={servers.data && tools.data ? `${fmtInt(count(servers.data))} · ${fmtInt(count(tools.data))}` : '–'} />
        <Kpi id="error-rate" label="Error rate (≥400)" value={fmtPct(k?.error_rate)} sub={k ? `${fmtInt(k.errors_5xx)} server errors (5xx)` : ''} />
        <Kpi id="rate-limited" label="Rate limited (429)" value={byCode.data ? fmtInt(rateLimitedCount(byCode.data)) : '–'} />
        <Kpi id="p95" label="Latency p95" value={fmtMs(k?.duration_p95)} sub={k ? `p50 ${fmtMs(k.duration_p50)} · p99 ${fmtMs(k.duration_p99)}` : ''} />
      </div>
      {series.data?.timestamps && series.data.series && <TrafficCharts answer={series.data} byCode={byCode.data} tokens={false} />}
      <div class="tops">
        <GroupTable
          title="MCP servers"
          by="mcp_server"
          groups={servers.data?.groups}
          columns={COLUMNS}
          selected={params.mcp_server}
          onPick={(g) => g !== null && set({ mcp_server: params.mcp_server === String(g) ? undefined : String(g) })}
          logsHref={(g) => groupLogsHref(filters, range, 'mcp_server', g)}
        />
        <GroupTable
          title={params.mcp_server ? `Tools of ${params.mcp_server}` : 'MCP tools'}
          by="mcp_tool"
          groups={tools.data?.groups}
          columns={COLUMNS}
          logsHref={(g) => groupLogsHref(filters, range, 'mcp_tool', g)}
        />
      </div>
    </div>
  );
}

function count(a: StatsAnswer): number {
  return (a.groups ?? []).filter((g) => g.key !== null).length;
}
