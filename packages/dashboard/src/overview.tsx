import { useEffect, useMemo, useState } from 'preact/hooks';
import { getJson, type GroupKey, type Metrics, type StatsAnswer } from './api.js';
import { TimeChart, type ChartSeries } from './chart.js';
import { FilterBar, OVERVIEW_FILTERS } from './filters.js';
import { fmtBytes, fmtCompact, fmtInt, fmtMs, fmtMsShort, fmtPct } from './format.js';
import { PRESETS, resolveRange, DEFAULT_PRESET } from './range.js';
import { hrefFor, navigate } from './url-state.js';
import { useApi } from './use-api.js';

interface Props {
  params: Record<string, string>;
  reload: number;
}

const TOPS: { by: string; title: string; extra?: Record<string, string> }[] = [
  { by: 'model', title: 'Top models' },
  { by: 'consumer', title: 'Top consumers' },
  { by: 'route', title: 'Top routes' },
  // Only MCP traffic: otherwise every model call would show up as "(none)" at the top.
  { by: 'mcp_tool', title: 'Top MCP tools', extra: { bizType: 'MCP_SERVER' } },
];

function filterParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of OVERVIEW_FILTERS) if (params[f.name]) out[f.name] = params[f.name];
  return out;
}

export function Overview({ params, reload }: Props) {
  const [tick, setTick] = useState(0);
  const live = params.live !== 'off';
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setTick((x) => x + 1), 5000);
    return () => clearInterval(t);
  }, [live]);

  const range = useMemo(() => resolveRange(params), [params, tick]);
  const filters = filterParams(params);
  const base = { ...filters, start_time: range.start, end: range.end };
  const key = JSON.stringify([base, reload]);
  const series = useApi(() => getJson<StatsAnswer>('stats', { ...base, interval: range.interval }), key);
  const tops = useApi(
    () => Promise.all(TOPS.map((t) => getJson<StatsAnswer>('stats', { ...base, ...t.extra, group_by: t.by, limit: 8, kpis: 'false' }))),
    key,
  );

  const set = (patch: Record<string, string | undefined>) => navigate('overview', { ...params, ...patch });
  const k = series.data?.kpis;
  const logsLink = hrefFor('logs', { ...filters, start_time: range.start, end: range.end });

  return (
    <div class="overview">
      <div class="toolbar">
        <label>
          Time range{' '}
          <select
            data-testid="range-select"
            value={params.start ? 'custom' : params.range ?? DEFAULT_PRESET}
            onChange={(e) => {
              const v = (e.target as HTMLSelectElement).value;
              if (v === 'custom') set({ range: undefined, start: range.start, end: range.end });
              else set({ range: v, start: undefined, end: undefined });
            }}
          >
            {PRESETS.map((p) => <option value={p.id}>{p.label}</option>)}
            <option value="custom">Custom…</option>
          </select>
        </label>
        {params.start && (
          <>
            <label>
              From (UTC) <input type="datetime-local" value={params.start.slice(0, 16)} onChange={(e) => set({ start: `${(e.target as HTMLInputElement).value}:00Z` })} />
            </label>
            <label>
              To (UTC) <input type="datetime-local" value={(params.end ?? range.end).slice(0, 16)} onChange={(e) => set({ end: `${(e.target as HTMLInputElement).value}:00Z` })} />
            </label>
          </>
        )}
        <label class="live">
          <input type="checkbox" checked={live} onChange={(e) => set({ live: (e.target as HTMLInputElement).checked ? undefined : 'off' })} /> auto-refresh
        </label>
        <span class="muted">interval {range.interval}</span>
        <a class="button" href={logsLink}>View these logs →</a>
      </div>
      <FilterBar fields={OVERVIEW_FILTERS} params={params} onApply={(f) => navigate('overview', { ...params, ...f })} />
      {series.error && <div class="error" role="alert">{series.error}</div>}

      <div class="kpis" data-testid="kpis">
        <Kpi id="requests" label="Requests (PV)" value={fmtInt(k?.pv)} />
        <Kpi id="uv" label="Unique clients (UV)" value={fmtInt(k?.uv)} />
        <Kpi id="error-rate" label="Error rate (≥400)" value={fmtPct(k?.error_rate)} sub={k ? `${fmtInt(k.errors_5xx)} server errors` : ''} />
        <Kpi id="tokens" label="Total tokens" value={fmtCompact(k?.total_tokens)} sub={k ? `${fmtCompact(k.input_tokens)} in · ${fmtCompact(k.output_tokens)} out` : ''} />
        <Kpi id="p95" label="Latency p95" value={fmtMs(k?.duration_p95)} sub={k ? `p50 ${fmtMs(k.duration_p50)} · p99 ${fmtMs(k.duration_p99)}` : ''} />
        <Kpi id="bytes" label="Bytes in / out" value={k ? `${fmtBytes(k.bytes_received)} / ${fmtBytes(k.bytes_sent)}` : '–'} />
        <Kpi id="fallbacks" label="Fallbacks" value={fmtInt(k?.fallback_count)} />
      </div>

      {series.data?.timestamps && series.data.series && <Charts answer={series.data} />}

      <div class="tops">
        {TOPS.map((t, i) => (
          <TopTable
            title={t.title}
            by={t.by}
            groups={tops.data?.[i]?.groups}
            onPick={(key) => key !== null && set({ [t.by]: String(key) })}
          />
        ))}
      </div>
    </div>
  );
}

function Kpi({ id, label, value, sub }: { id: string; label: string; value: string; sub?: string }) {
  return (
    <div class="card kpi" data-testid={`kpi-${id}`}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value">{value}</div>
      {sub && <div class="kpi-sub">{sub}</div>}
    </div>
  );
}

function Charts({ answer }: { answer: StatsAnswer }) {
  const ts = answer.timestamps!;
  const v = answer.series![0]?.values;
  const charts = useMemo(() => {
    if (!v) return null;
    const rate = v.requests.map((r, i) => (r ? ((v.errors[i] ?? 0) / r) * 100 : null));
    const req: ChartSeries[] = [
      { label: 'requests', values: v.requests, color: '#4c9aff', fill: true },
      { label: '≥400', values: v.errors, color: '#ffab00' },
      { label: '≥500', values: v.errors_5xx, color: '#ff5630' },
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
    return { req, err, tok, lat };
  }, [answer]);
  if (!charts) return null;
  return (
    <div class="charts">
      <TimeChart testId="chart-requests" title="Requests" timestamps={ts} series={charts.req} format={fmtCompact} />
      <TimeChart testId="chart-errors" title="Error rate" timestamps={ts} series={charts.err} format={(x) => `${x.toFixed(1)}%`} />
      <TimeChart testId="chart-tokens" title="Tokens" timestamps={ts} series={charts.tok} format={fmtCompact} />
      <TimeChart testId="chart-latency" title="Latency" timestamps={ts} series={charts.lat} format={fmtMs} axisFormat={fmtMsShort} />
    </div>
  );
}

function TopTable({ title, by, groups, onPick }: { title: string; by: string; groups?: (Metrics & { key: GroupKey })[]; onPick: (k: GroupKey) => void }) {
  const max = Math.max(1, ...(groups ?? []).map((g) => g.requests));
  return (
    <section class="card top" data-testid={`top-${by}`}>
      <h3>{title}</h3>
      <table>
        <thead>
          <tr><th>{by}</th><th class="num">requests</th><th class="num">errors</th><th class="num">tokens</th><th class="num">p95</th></tr>
        </thead>
        <tbody>
          {(groups ?? []).map((g) => (
            <tr class={g.key === null ? 'none' : 'pick'} onClick={() => onPick(g.key)} title={g.key === null ? '' : `Filter by ${by} = ${g.key}`}>
              <td class="key">
                <span class="bar" style={{ width: `${(g.requests / max) * 100}%` }} />
                <span>{g.key === null ? '(none)' : String(g.key)}</span>
              </td>
              <td class="num">{fmtInt(g.requests)}</td>
              <td class="num">{g.requests ? fmtPct(g.errors / g.requests) : '–'}</td>
              <td class="num">{fmtCompact(g.total_tokens)}</td>
              <td class="num">{fmtMs(g.duration_p95)}</td>
            </tr>
          ))}
          {groups && groups.length === 0 && <tr><td colSpan={5} class="muted">no data</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
