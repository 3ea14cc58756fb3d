import type { LogRecord } from '../lib/api.js';
import { fmtInt, fmtMs, fmtTime } from '../lib/format.js';
import { hrefFor } from '../lib/url-state.js';

/** The log table's columns, in order: the one list the header and every row are drawn from. */
export interface LogColumn {
  id: string;
  label: string;
  /** Left out while a record is open beside the table, to keep the rest readable. */
  secondary?: boolean;
  /** Class of the header cell (alignment, stickiness). */
  head?: string;
  cls?: (r: LogRecord) => string;
  cell: (r: LogRecord) => preact.ComponentChildren;
}

const text = (v: unknown) => (v === null || v === undefined ? '' : String(v));
const num = (v: unknown) => (v === null || v === undefined ? '' : fmtInt(Number(v)));

export const LOG_COLUMNS: LogColumn[] = [
  { id: 'start_time', label: 'time (UTC)', cls: () => 'mono', cell: (r) => fmtTime(r.start_time as string) },
  { id: 'method', label: 'method', cell: (r) => text(r.method) },
  { id: 'authority', secondary: true, label: 'authority', cell: (r) => text(r.authority) },
  { id: 'path', label: 'path', cls: () => 'path', cell: (r) => <span title={text(r.path)}>{text(r.path)}</span> },
  {
    id: 'response_code',
    label: 'status',
    head: 'num',
    cls: (r) => `num status s${Math.floor(Number(r.response_code ?? 0) / 100)}`,
    cell: (r) => (r.response_code === null || r.response_code === undefined ? '–' : String(r.response_code)),
  },
  { id: 'route', secondary: true, label: 'route', cell: (r) => text(r.route) },
  { id: 'model', label: 'model', cell: (r) => text(r.model) },
  { id: 'consumer', label: 'consumer', cell: (r) => text(r.consumer) },
  { id: 'mcp_server', secondary: true, label: 'MCP server', cell: (r) => text(r.mcp_server) },
  { id: 'mcp_tool', label: 'MCP tool', cell: (r) => text(r.mcp_tool) },
  { id: 'total_tokens', secondary: true, label: 'tokens', head: 'num', cls: () => 'num', cell: (r) => num(r.total_tokens) },
  { id: 'duration', label: 'duration', head: 'num', cls: () => 'num', cell: (r) => fmtMs(r.duration as number | null) },
  { id: 'instance_id', secondary: true, label: 'instance', cls: () => 'instance', cell: (r) => <span title={text(r.instance_id)}>{text(r.instance_id)}</span> },
  {
    // Kept in view at the table's right edge (sticky), however wide the table or the open detail.
    id: 'trace_id',
    label: 'trace',
    head: 'trace',
    cls: () => 'mono trace',
    cell: (r) =>
      r.trace_id ? (
        <a href={hrefFor('logs', { trace_id: String(r.trace_id), sort_order: 'asc' })} onClick={(e) => e.stopPropagation()} title={`All records of trace ${String(r.trace_id)}`}>
          {String(r.trace_id).slice(0, 12)}
        </a>
      ) : '',
  },
];
