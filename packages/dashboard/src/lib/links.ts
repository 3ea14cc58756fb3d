/** Links between views: the log explorer for what a view shows, and lists kept expanded in the URL. */
import type { GroupKey } from './api.js';
import type { ResolvedRange } from './range.js';
import { hrefFor } from './url-state.js';

/** The log explorer over the same range and filters, plus `extra` (e.g. the group clicked). */
export function logsHref(filters: Record<string, string>, range: ResolvedRange, extra: Record<string, string> = {}): string {
  return hrefFor('logs', { ...filters, start_time: range.start, end: range.end, ...extra });
}

/** A group's logs, or null for the "(none)" group, which no `/query` filter selects. */
export function groupLogsHref(filters: Record<string, string>, range: ResolvedRange, by: string, key: GroupKey): string | null {
  return key === null ? null : logsHref(filters, range, { [by]: String(key) });
}

/** The `all` parameter lists the group lists shown in full (`all=consumer,model`). */
export function isExpanded(params: Record<string, string>, by: string): boolean {
  return (params.all ?? '').split(',').includes(by);
}

export function toggleExpanded(params: Record<string, string>, by: string): string | undefined {
  const set = new Set((params.all ?? '').split(',').filter(Boolean));
  if (set.has(by)) set.delete(by);
  else set.add(by);
  return set.size ? [...set].join(',') : undefined;
}
