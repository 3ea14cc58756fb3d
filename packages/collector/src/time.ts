const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses RFC 3339 (any offset), `YYYY-MM-DD HH:MM:SS[.fff]` (taken as UTC, as the seed's
 * MySQL rows are written) and a bare date, into epoch milliseconds. Digits past milliseconds
 * are cut, never rounded, so a stored value never moves to the next millisecond.
 */
export function parseTimestamp(s: string): number | undefined {
  const m = DATE_TIME.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const nums = [y, mo, d, h, mi, sec].map(Number);
  if (nums[1] < 1 || nums[1] > 12 || nums[2] < 1 || nums[2] > 31 || nums[3] > 23 || nums[4] > 59 || nums[5] > 60) return undefined;
  const ms = Number((frac + '000').slice(0, 3));
  let t = Date.UTC(nums[0], nums[1] - 1, nums[2], nums[3], nums[4], nums[5], ms);
  if (new Date(t).getUTCDate() !== nums[2] && nums[5] !== 60) return undefined; // 2024-02-31 and the like
  if (zone && zone.toUpperCase() !== 'Z') {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const off = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60_000;
    t -= zm[1] === '+' ? off : -off;
  }
  return Number.isFinite(t) ? t : undefined;
}

/** Epoch ms → RFC 3339 UTC with milliseconds (`2024-05-01T12:00:00.123Z`). */
export function toIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch ms → `YYYY-MM-DD HH:MM:SS.mmm`, the literal MySQL takes for DATETIME(3) in UTC. */
export function toSqlDateTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}
