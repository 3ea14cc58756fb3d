import { useEffect, useState } from 'preact/hooks';

export interface FilterField {
  name: string;
  label: string;
  placeholder?: string;
  width?: string;
}

/** The overview's filters: the dimensions people slice AI traffic by. */
export const OVERVIEW_FILTERS: FilterField[] = [
  { name: 'model', label: 'model' },
  { name: 'consumer', label: 'consumer' },
  { name: 'route', label: 'route' },
  { name: 'service', label: 'service' },
  { name: 'mcp_server', label: 'MCP server' },
  { name: 'mcp_tool', label: 'MCP tool' },
  { name: 'authority', label: 'authority' },
  { name: 'response_code', label: 'status', width: '5em' },
];

/** Every `/query` filter, for the log explorer. */
export const LOG_FILTERS: FilterField[] = [
  ...OVERVIEW_FILTERS,
  { name: 'method', label: 'method', width: '6em' },
  { name: 'path', label: 'path contains' },
  { name: 'trace_id', label: 'trace id' },
  { name: 'request_id', label: 'request id' },
  { name: 'instance_id', label: 'instance' },
  { name: 'api', label: 'api' },
];

interface Props {
  fields: FilterField[];
  params: Record<string, string>;
  onApply: (values: Record<string, string | undefined>) => void;
}

/** A row of text inputs applied together (Enter or the button); values stay in the URL. */
export function FilterBar({ fields, params, onApply }: Props) {
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => setDraft(Object.fromEntries(fields.map((f) => [f.name, params[f.name] ?? '']))), [JSON.stringify(params)]);
  const apply = (e?: Event) => {
    e?.preventDefault();
    onApply(Object.fromEntries(fields.map((f) => [f.name, draft[f.name]?.trim() || undefined])));
  };
  const active = fields.filter((f) => params[f.name]);
  return (
    <form class="filters" onSubmit={apply} data-testid="filters">
      {fields.map((f) => (
        <label>
          <span>{f.label}</span>
          <input
            name={f.name}
            value={draft[f.name] ?? ''}
            placeholder={f.placeholder ?? 'any'}
            style={f.width ? { width: f.width } : undefined}
            onInput={(e) => setDraft({ ...draft, [f.name]: (e.target as HTMLInputElement).value })}
          />
        </label>
      ))}
      <button type="submit">Apply</button>
      {active.length > 0 && (
        <button type="button" class="link" onClick={() => onApply(Object.fromEntries(fields.map((f) => [f.name, undefined])))}>
          clear filters
        </button>
      )}
    </form>
  );
}
