import { useEffect, useMemo, useState } from 'preact/hooks';
import { PRESETS, resolveRange, DEFAULT_PRESET, type ResolvedRange } from '../lib/range.js';
import { navigate, type View } from '../lib/url-state.js';

/** The range of the URL, re-resolved every 5 s while auto-refresh is on (`live=off` stops it). */
export function useLiveRange(params: Record<string, string>): ResolvedRange {
  const [tick, setTick] = useState(0);
  const live = params.live !== 'off';
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setTick((x) => x + 1), 5000);
    return () => clearInterval(t);
  }, [live]);
  return useMemo(() => resolveRange(params), [JSON.stringify(params), tick]);
}

/** Time range picker (presets or custom UTC bounds) and the auto-refresh switch. */
export function RangeBar({ view, params, range, children }: { view: View; params: Record<string, string>; range: ResolvedRange; children?: preact.ComponentChildren }) {
  const set = (patch: Record<string, string | undefined>) => navigate(view, { ...params, ...patch });
  return (
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
        <input type="checkbox" checked={params.live !== 'off'} onChange={(e) => set({ live: (e.target as HTMLInputElement).checked ? undefined : 'off' })} /> auto-refresh
      </label>
      <span class="muted">interval {range.interval}</span>
      {children}
    </div>
  );
}
