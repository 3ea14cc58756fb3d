/** Number and time formatting. Times are shown in UTC, as they are stored. */

export function fmtInt(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return Math.round(n).toLocaleString('en-US');
}

export function fmtCompact(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return fmtInt(n);
}

export function fmtBytes(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export function fmtMs(n: number | null | undefined): string {
  if (n === null || n === undefined) return '–';
  return n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${fmtInt(n)} ms`;
}

/** Up to three decimals, none when whole: ticks must read as the value they mark (2.5, not 3). */
const exact = (n: number) => (+n.toFixed(3)).toLocaleString('en-US', { maximumFractionDigits: 3 });

/** Axis ticks: `850ms`, `2.5s`. */
export function fmtMsShort(n: number | null | undefined): string {
  if (n === null || n === undefined) return '';
  return n >= 1000 ? `${exact(n / 1000)}s` : `${exact(n)}ms`;
}

/** Axis ticks for counts: `2.5`, `850`, `12.5k`, `3M`. */
export function fmtAxisNum(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e9) return `${exact(n / 1e9)}G`;
  if (a >= 1e6) return `${exact(n / 1e6)}M`;
  if (a >= 1e4) return `${exact(n / 1e3)}k`;
  return exact(n);
}

/** Axis ticks for percentages given as 0-100: `2.5%`. */
export function fmtAxisPct(n: number): string {
  return `${exact(n)}%`;
}

export function fmtPct(r: number | null | undefined): string {
  if (r === null || r === undefined) return '–';
  return `${(r * 100).toFixed(2)}%`;
}

/** `2026-01-10 08:00:01.234` (UTC) from an RFC 3339 string or epoch ms. */
export function fmtTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === '') return '–';
  const d = typeof t === 'number' ? new Date(t) : new Date(String(t));
  if (Number.isNaN(d.getTime())) return String(t);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** Value of an <input type="datetime-local"> (read as UTC) from an RFC 3339 string, and back. */
export function toLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16);
}

export function fromLocalInput(v: string): string | undefined {
  if (!v) return undefined;
  const d = new Date(`${v}:00Z`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}
