import type { LogRecord } from '../lib/api.js';
import { fmtTime } from '../lib/format.js';
import { hrefFor } from '../lib/url-state.js';

const BLOCK_FIELDS = ['ai_log', 'req_headers', 'resp_headers', 'req_body', 'resp_body'];

/** ai_log and headers may come as objects or as JSON text; bodies may or may not be JSON. */
function pretty(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') {
    try {
      return JSON.stringify(JSON.parse(v), null, 2);
    } catch {
      return v;
    }
  }
  return JSON.stringify(v, null, 2);
}

function asObject(v: unknown): Record<string, unknown> | null {
  if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  if (typeof v === 'string') {
    try {
      const o = JSON.parse(v);
      return o && typeof o === 'object' && !Array.isArray(o) ? o : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** One record: every field, ai_log and captured headers/bodies pretty-printed. */
export function Detail({ record, onClose }: { record: LogRecord; onClose: () => void }) {
  const plain = Object.entries(record).filter(([k, v]) => !BLOCK_FIELDS.includes(k) && v !== null && v !== undefined && v !== '');
  return (
    <aside class="card detail" data-testid="detail">
      <div class="detail-head">
        <h3>Record {record.id !== undefined ? `#${record.id}` : ''}</h3>
        <button class="link" onClick={onClose} aria-label="Close">✕</button>
      </div>
      <p class="summary mono" data-testid="detail-summary">
        {String(record.method ?? '')} {String(record.path ?? '')} → {String(record.response_code ?? '–')}
        {record.duration !== null && record.duration !== undefined ? ` · ${String(record.duration)} ms` : ''}
        {record.model ? ` · ${String(record.model)}` : ''}
        {record.total_tokens !== null && record.total_tokens !== undefined ? ` · ${String(record.total_tokens)} tokens` : ''}
      </p>
      {record.trace_id ? (
        <p>
          <a data-testid="trace-link" href={hrefFor('logs', { trace_id: String(record.trace_id), sort_order: 'asc' })}>All records of trace {String(record.trace_id)} →</a>
        </p>
      ) : null}
      {record.ai_log !== null && record.ai_log !== undefined && (
        <>
          <h4>ai_log</h4>
          <pre data-testid="detail-ai_log">{pretty(record.ai_log)}</pre>
        </>
      )}
      {(['req_headers', 'resp_headers'] as const).map((k) => {
        const h = asObject(record[k]);
        if (!h) return null;
        return (
          <>
            <h4>{k === 'req_headers' ? 'Request headers' : 'Response headers'}</h4>
            <table class="fields headers" data-testid={`detail-${k}`}>
              <tbody>
                {Object.entries(h).map(([name, value]) => (
                  <tr><th>{name}</th><td class="mono">{String(value)}</td></tr>
                ))}
              </tbody>
            </table>
          </>
        );
      })}
      {(['req_body', 'resp_body'] as const).map((k) =>
        record[k] ? (
          <>
            <h4>{k === 'req_body' ? 'Request body' : 'Response body'}</h4>
            <pre data-testid={`detail-${k}`}>{pretty(record[k])}</pre>
          </>
        ) : null,
      )}
      <h4>All fields</h4>
      <table class="fields" data-testid="detail-fields">
        <tbody>
          {plain.map(([k, v]) => (
            <tr>
              <th>{k}</th>
              <td class="mono">{k === 'start_time' ? `${fmtTime(v as string)} UTC` : typeof v === 'object' ? JSON.stringify(v) : String(v)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </aside>
  );
}
