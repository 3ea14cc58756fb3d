import { getJson, type LogRecord, type QueryAnswer } from './api.js';
import { Detail } from './detail.js';
import { FilterBar, LOG_FILTERS } from './filters.js';
import { fmtInt, fmtMs, fmtTime, fromLocalInput, toLocalInput } from './format.js';
import { hrefFor, navigate } from './url-state.js';
import { useApi } from './use-api.js';

interface Props {
  params: Record<string, string>;
  reload: number;
}

const PAGE_SIZES = ['10', '25', '50', '100'];
const SORTABLE = ['start_time', 'duration', 'response_code', 'total_tokens', 'bytes_sent'];

/** Query parameters this view forwards to `GET /query` (the URL also holds `detail`). */
function queryParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of LOG_FILTERS) if (params[f.name]) out[f.name] = params[f.name];
  for (const k of ['start_time', 'end', 'page', 'page_size', 'sort_by', 'sort_order']) if (params[k]) out[k] = params[k];
  return out;
}

export function recordKey(r: LogRecord, i: number): string {
  return r.id !== undefined && r.id !== null ? String(r.id) : `row-${i}`;
}

export function LogExplorer({ params, reload }: Props) {
  const q = queryParams(params);
  const page = Math.max(1, Number(params.page ?? 1) || 1);
  const pageSize = Number(params.page_size ?? 25) || 25;
  const res = useApi(() => getJson<QueryAnswer>('query', { ...q, page, page_size: pageSize }), JSON.stringify([q, page, pageSize, reload]));
  const set = (patch: Record<string, string | undefined>) => navigate('logs', { ...params, ...patch });
  const total = res.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const logs = res.data?.logs ?? [];
  const selectedIndex = params.detail ? logs.findIndex((r, i) => recordKey(r, i) === params.detail) : -1;
  const selected = selectedIndex >= 0 ? logs[selectedIndex] : null;
  const sortBy = params.sort_by ?? 'start_time';
  const sortOrder = (params.sort_order ?? 'desc').toLowerCase();

  return (
    <div class="logs">
      <div class="toolbar">
        <label>
          From (UTC) <input type="datetime-local" data-testid="logs-start" value={toLocalInput(params.start_time)} onChange={(e) => set({ start_time: fromLocalInput((e.target as HTMLInputElement).value), page: undefined })} />
        </label>
        <label>
          To (UTC) <input type="datetime-local" data-testid="logs-end" value={toLocalInput(params.end)} onChange={(e) => set({ end: fromLocalInput((e.target as HTMLInputElement).value), page: undefined })} />
        </label>
        <label>
          Sort{' '}
          <select value={sortBy} onChange={(e) => set({ sort_by: (e.target as HTMLSelectElement).value, page: undefined })}>
            {SORTABLE.map((s) => <option value={s}>{s}</option>)}
          </select>{' '}
          <select value={sortOrder} onChange={(e) => set({ sort_order: (e.target as HTMLSelectElement).value, page: undefined })}>
            <option value="desc">newest / largest first</option>
            <option value="asc">oldest / smallest first</option>
          </select>
        </label>
        <label>
          Rows{' '}
          <select value={String(pageSize)} onChange={(e) => set({ page_size: (e.target as HTMLSelectElement).value, page: undefined })}>
            {PAGE_SIZES.map((s) => <option value={s}>{s}</option>)}
          </select>
        </label>
      </div>
      <FilterBar fields={LOG_FILTERS} params={params} onApply={(f) => navigate('logs', { ...params, ...f, page: undefined, detail: undefined })} />
      {res.error && <div class="error" role="alert">{res.error}</div>}
      <div class="split">
        <section class="card table-card">
          <div class="table-head">
            <span data-testid="logs-total">{fmtInt(total)} {total === 1 ? 'record' : 'records'}</span>
            <Pager page={page} pages={pages} onPage={(p) => set({ page: String(p), detail: undefined })} />
          </div>
          <div class="table-scroll">
            <table class="logs-table" data-testid="logs-table">
              <thead>
                <tr>
                  <th>time (UTC)</th><th>method</th><th>authority</th><th>path</th><th class="num">status</th>
                  <th>model</th><th>consumer</th><th class="num">tokens</th><th class="num">duration</th><th>trace</th>
                </tr>
              </thead>
              <tbody>
                {logs.map((r, i) => {
                  const key = recordKey(r, i);
                  const code = Number(r.response_code ?? 0);
                  return (
                    <tr class={`row ${key === params.detail ? 'selected' : ''}`} data-testid="log-row" onClick={() => set({ detail: key })}>
                      <td class="mono">{fmtTime(r.start_time as string)}</td>
                      <td>{String(r.method ?? '')}</td>
                      <td>{String(r.authority ?? '')}</td>
                      <td class="path" title={String(r.path ?? '')}>{String(r.path ?? '')}</td>
                      <td class={`num status s${Math.floor(code / 100)}`}>{r.response_code === null || r.response_code === undefined ? '–' : code}</td>
                      <td>{String(r.model ?? '')}</td>
                      <td>{String(r.consumer ?? '')}</td>
                      <td class="num">{r.total_tokens === null || r.total_tokens === undefined ? '' : fmtInt(Number(r.total_tokens))}</td>
                      <td class="num">{fmtMs(r.duration as number | null)}</td>
                      <td class="mono">
                        {r.trace_id ? (
                          <a href={hrefFor('logs', { trace_id: String(r.trace_id), sort_order: 'asc' })} onClick={(e) => e.stopPropagation()} title="All records of this trace">
                            {String(r.trace_id).slice(0, 12)}
                          </a>
                        ) : ''}
                      </td>
                    </tr>
                  );
                })}
                {res.data && logs.length === 0 && <tr><td colSpan={10} class="muted">No records match these filters.</td></tr>}
              </tbody>
            </table>
          </div>
        </section>
        {selected && <Detail record={selected} onClose={() => set({ detail: undefined })} />}
      </div>
    </div>
  );
}

function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (p: number) => void }) {
  return (
    <span class="pager" data-testid="pager">
      <button disabled={page <= 1} onClick={() => onPage(page - 1)}>‹ prev</button>
      <span>page {page} of {pages}</span>
      <button disabled={page >= pages} onClick={() => onPage(page + 1)}>next ›</button>
    </span>
  );
}
