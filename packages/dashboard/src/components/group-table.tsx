import type { GroupKey, Metrics } from '../lib/api.js';
import { fmtCompact, fmtInt, fmtMs, fmtPct } from '../lib/format.js';

/** A group of a `/stats` answer, with what a view adds to it (the 429s of the group). */
export type GroupRow = Metrics & { key: GroupKey; rate_limited?: number };

export interface GroupColumn {
  label: string;
  value: (g: GroupRow) => string;
}

/** The columns of a top list unless a view picks its own. */
export const DEFAULT_COLUMNS: GroupColumn[] = [
  { label: 'requests', value: (g) => fmtInt(g.requests) },
  { label: 'errors', value: (g) => (g.requests ? fmtPct(g.errors / g.requests) : '–') },
  { label: 'tokens', value: (g) => fmtCompact(g.total_tokens) },
  { label: 'p95', value: (g) => fmtMs(g.duration_p95) },
];

interface Props {
  title: string;
  /** The /stats group_by column (also the data-testid: `top-<by>`). */
  by: string;
  groups?: GroupRow[];
  columns?: GroupColumn[];
  /** Clicking a row (not the logs link). */
  onPick?: (key: GroupKey) => void;
  /** The log explorer filtered by this group, or null when the group cannot be filtered (none). */
  logsHref?: (key: GroupKey) => string | null;
  /** Set when only the busiest `limit` are shown: offers the rest. */
  expand?: { shown: number; expanded: boolean; toggle: () => void };
  selected?: GroupKey;
}

/** A list of groups, the busiest first, with a bar for each one's share of the requests. */
export function GroupTable({ title, by, groups, columns = DEFAULT_COLUMNS, onPick, logsHref, expand, selected }: Props) {
  const max = Math.max(1, ...(groups ?? []).map((g) => g.requests));
  const more = expand && (expand.expanded || (groups?.length ?? 0) >= expand.shown);
  return (
    <section class="card top" data-testid={`top-${by}`}>
      <div class="top-head">
        <h3>{title}</h3>
        {more && (
          <button class="link" data-testid="show-all" onClick={expand!.toggle}>
            {expand!.expanded ? `top ${expand!.shown} only` : 'show all'}
          </button>
        )}
      </div>
      <table>
        <thead>
          <tr><th>{by}</th>{columns.map((c) => <th class="num">{c.label}</th>)}{logsHref && <th />}</tr>
        </thead>
        <tbody>
          {(groups ?? []).map((g) => {
            const href = logsHref?.(g.key) ?? null;
            const cls = [g.key === null ? 'none' : onPick ? 'pick' : '', g.key === selected && g.key !== null ? 'selected' : ''].join(' ');
            return (
              <tr class={cls} onClick={() => onPick?.(g.key)} title={g.key === null || !onPick ? '' : `Select ${by} = ${g.key}`}>
                <td class="key">
                  <span class="bar" style={{ width: `${(g.requests / max) * 100}%` }} />
                  <span>{g.key === null ? '(none)' : String(g.key)}</span>
                </td>
                {columns.map((c) => <td class="num">{c.value(g)}</td>)}
                {logsHref && (
                  <td class="logs-link">
                    {href && <a href={href} data-testid="group-logs" onClick={(e) => e.stopPropagation()} title={`Logs of ${by} = ${g.key}`}>logs →</a>}
                  </td>
                )}
              </tr>
            );
          })}
          {groups && groups.length === 0 && <tr><td colSpan={columns.length + 2} class="muted">no data</td></tr>}
        </tbody>
      </table>
    </section>
  );
}
