import { getJson, type LogRecord, type QueryAnswer } from '../lib/api.js';
import { FilterBar, LOG_FILTERS } from '../components/filters.js';
import { fmtInt, fromLocalInput, toLocalInput } from '../lib/format.js';
import { navigate } from '../lib/url-state.js';
import { useApi } from '../lib/use-api.js';
import { Detail } from './detail.js';
import { LOG_COLUMNS } from './log-columns.js';

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
  for (const k of ['start_time', 'end', 'page', 'page_size', 'sort_by', 'sort_order', 'bizType']) if (params[k]) out[k] = params[k];
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
  const selected = useDetail(params.detail, logs, reload);
  const columns = params.detail ? LOG_COLUMNS.filter((c) => !c.secondary) : LOG_COLUMNS;
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
                <tr>{columns.map((c) => <th class={c.head ?? ''} data-col={c.id}>{c.label}</th>)}</tr>
              </thead>
              <tbody>
                {logs.map((r, i) => {
                  const key = recordKey(r, i);
                  return (
                    <tr class={`row ${key === params.detail ? 'selected' : ''}`} data-testid="log-row" onClick={() => set({ detail: key })}>
                      {columns.map((c) => <td class={c.cls?.(r) ?? ''} data-col={c.id}>{c.cell(r)}</td>)}
                    </tr>
                  );
                })}
                {res.data && logs.length === 0 && <tr><td colSpan={columns.length} class="muted">No records match these filters.</td></tr>}
              </tbody>
            </table>
          </div>
        </section>
        {params.detail && selected.record && <Detail record={selected.record} onClose={() => set({ detail: undefined })} />}
        {params.detail && !selected.record && selected.message && (
          <aside class="card detail" data-testid="detail-missing">
            <p class="muted">{selected.message}</p>
          </aside>
        )}
      </div>
    </div>
  );
}

/**
 * The record the URL's `detail` names: taken from the page when it is on it, else fetched by id
 * (`/query?id=`), so a link to a record shows it whatever page or filters it came with.
 */
function useDetail(detail: string | undefined, logs: LogRecord[], reload: number): { record: LogRecord | null; message: string | null } {
  const onPage = detail ? logs.find((r, i) => recordKey(r, i) === detail) ?? null : null;
  const byId = detail !== undefined && !onPage && /^\d{1,15}$/.test(detail);
  const res = useApi(
    () => (byId ? getJson<QueryAnswer>('query', { id: detail, page_size: 1 }) : Promise.resolve(null)),
    JSON.stringify([byId && detail, reload]),
  );
  if (onPage) return { record: onPage, message: null };
  if (!detail) return { record: null, message: null };
  if (!byId) return { record: null, message: `No record "${detail}" on this page.` };
  const found = res.data?.logs.find((r) => String(r.id) === detail) ?? null;
  if (found) return { record: found, message: null };
  return { record: null, message: res.loading ? null : res.error ?? `Record ${detail} was not found.` };
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
