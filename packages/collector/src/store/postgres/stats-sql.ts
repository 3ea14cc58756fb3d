import { FALLBACK_EMPTY, type StatsDialect } from '../../stats/dialect.js';

/** PostgreSQL's expressions for `/stats` (see StatsDialect). */
export const statsSql: StatsDialect = {
  // div() on numeric: SUM() of integers is numeric in PostgreSQL, where `/` would keep fractions.
  substr: (s, from, length) => `substr(${s}, ${from}${length === undefined ? '' : `, ${length}`})`,
  slashPos: (s) => `strpos(${s}, '/')`,
  idiv: (a, b) => `div((${a}), (${b}))`,
  // EXTRACT(EPOCH) of a TIMESTAMP (without time zone) reads it as UTC whatever the session's zone.
  epochSeconds: (c) => `FLOOR(EXTRACT(EPOCH FROM ${c}))::bigint`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(split_part(${xff}, ',', 1))`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND strpos(${dra}, ']') > 0 THEN substr(${dra}, 1, strpos(${dra}, ']'))
      WHEN length(${dra}) - length(replace(${dra}, ':', '')) = 1 THEN split_part(${dra}, ':', 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `lower(substr(${statsSql.clientHost()}, 1, 255))`,
  // ai_log is JSONB: ->> gives the text of the value (NULL for JSON null, as the others treat 'null').
  isFallback: () => `(CASE WHEN COALESCE(ai_log ->> 'fallback_from', '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)`,
};

