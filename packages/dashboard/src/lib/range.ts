/** The overview's time range: a preset relative to now, or an explicit start/end (UTC). */

export const PRESETS: { id: string; label: string; seconds: number }[] = [
  { id: '5m', label: 'Last 5 minutes', seconds: 300 },
  { id: '15m', label: 'Last 15 minutes', seconds: 900 },
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '6h', label: 'Last 6 hours', seconds: 6 * 3600 },
  { id: '24h', label: 'Last 24 hours', seconds: 86400 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86400 },
  { id: '30d', label: 'Last 30 days', seconds: 30 * 86400 },
];
export const DEFAULT_PRESET = '1h';

/** Intervals the overview picks from: the smallest that keeps a chart under ~120 points. */
const INTERVALS: [string, number][] = [
  ['10s', 10], ['30s', 30], ['1m', 60], ['5m', 300], ['15m', 900], ['1h', 3600], ['3h', 10800], ['6h', 21600], ['1d', 86400], ['7d', 604800],
];

export interface ResolvedRange {
  start: string;
  end: string;
  interval: string;
  label: string;
}

export function resolveRange(params: Record<string, string>, now = Date.now()): ResolvedRange {
  let startMs: number;
  let endMs: number;
  let label: string;
  const s = params.start ? Date.parse(params.start) : NaN;
  const e = params.end ? Date.parse(params.end) : NaN;
  if (!Number.isNaN(s)) {
    startMs = s;
    endMs = Number.isNaN(e) ? now : e;
    label = 'Custom range';
  } else {
    const p = PRESETS.find((x) => x.id === params.range) ?? PRESETS.find((x) => x.id === DEFAULT_PRESET)!;
    endMs = now;
    startMs = now - p.seconds * 1000;
    label = p.label;
  }
  const span = Math.max(1, (endMs - startMs) / 1000);
  const interval = (INTERVALS.find(([, sec]) => span / sec <= 120) ?? INTERVALS[INTERVALS.length - 1])[0];
  return { start: new Date(startMs).toISOString(), end: new Date(endMs).toISOString(), interval, label };
}

/** The URL parameters that hold the range; they travel along when switching views. */
export const RANGE_PARAMS = ['range', 'start', 'end', 'live'] as const;

export function rangeParams(params: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of RANGE_PARAMS) if (params[k]) out[k] = params[k];
  return out;
}
