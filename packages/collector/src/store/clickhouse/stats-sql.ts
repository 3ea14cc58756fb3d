import { FALLBACK_EMPTY, type PercentileParts, type StatsDialect } from '../../stats/dialect.js';

/**
 * `/stats` on ClickHouse, 18.16 included: no CTEs over subqueries, no window functions, no
 * TRIM() and only the visitParam JSON functions there. The same values as the other dialects:
 * - percentiles from the same histogram of distinct durations, the running total taken with
 *   arrayCumSum over the sorted histogram instead of SUM() OVER;
 * - start_time is DateTime64 on modern servers and epoch milliseconds (UInt64) on old ones.
 */

/** TRIM(): leading and trailing spaces, as SQLite, MySQL and PostgreSQL trim them. */
const trim = (s: string) => `replaceRegexpAll(${s}, '^ +| +$', '')`;

/** ClickHouse's expressions for `/stats`; `epochMsTime`: start_time holds epoch milliseconds (tables on old servers). */
export function clickhouseStatsDialect(epochMsTime: boolean): StatsDialect {
  const d = {
    // Bytes, not characters: model names and price keys are ASCII.
    substr: (s: string, from: string, length?: number) => `substring(${s}, ${from}${length === undefined ? '' : `, ${length}`})`,
    slashPos: (s: string) => `position(${s}, '/')`,
    idiv: (a: string, b: string) => `intDiv(${a}, ${b})`,
    epochSeconds: (c: string) => (epochMsTime ? `intDiv(${c}, 1000)` : `toUnixTimestamp(toDateTime(${c}))`),
    clientHost: (): string => {
      const xff = 'x_forwarded_for';
      const dra = 'downstream_remote_address';
      const first = trim(`splitByChar(',', assumeNotNull(${xff}))[1]`);
      const host = `CASE WHEN ${dra} LIKE '[%' AND position(${dra}, ']') > 0 THEN substring(${dra}, 1, position(${dra}, ']'))
      WHEN length(${dra}) - length(replaceAll(${dra}, ':', '')) = 1 THEN substring(${dra}, 1, position(${dra}, ':') - 1)
      ELSE ${dra} END`;
      return `(CASE WHEN ${xff} IS NOT NULL AND ${trim(xff)} NOT IN ('', '-') THEN ${first} ELSE nullIf(${host}, '') END)`;
    },
    // lower() is ASCII-only, as SQLite's; substringUTF8 counts characters as the others do.
    clientKey: () => `lower(substringUTF8(${d.clientHost()}, 1, 255))`,
    // The raw JSON value: a string is compared unquoted, anything else (number, true) as written.
    isFallback: () =>
      `(CASE WHEN ai_log LIKE '%fallback_from%' THEN (CASE WHEN startsWith(visitParamExtractRaw(assumeNotNull(ai_log), 'fallback_from'), '"')
      THEN (CASE WHEN visitParamExtractString(assumeNotNull(ai_log), 'fallback_from') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)
      ELSE (CASE WHEN visitParamExtractRaw(assumeNotNull(ai_log), 'fallback_from') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END) END) ELSE 0 END)`,
    percentilesSql: (p: PercentileParts) => {
      const pick = (pct: number) => `if(n = 0, NULL, tupleElement(h[arrayFirstIndex(x -> x >= intDiv(n * ${pct} + 99, 100), cs)], 1)) AS p${pct}`;
      return `SELECT ${p.hasGroup ? 'g' : '0 AS g'}, ${p.hasBucket ? 'b' : '0 AS b'},
  arraySort(x -> tupleElement(x, 1), groupArray((d, c))) AS h, arrayCumSum(arrayMap(x -> tupleElement(x, 2), h)) AS cs, arraySum(arrayMap(x -> tupleElement(x, 2), h)) AS n,
  ${pick(50)}, ${pick(95)}, ${pick(99)}
FROM (
  SELECT ${p.group} AS g, ${p.bucket} AS b, assumeNotNull(${p.column}) AS d, count() AS c
  FROM ${p.table} WHERE ${p.where}
  GROUP BY ${[...p.keys, p.column].join(', ')}
)${p.parts.length ? `\nGROUP BY ${p.parts.join(', ')}` : ''}`;
    },
  };
  return d;
}
