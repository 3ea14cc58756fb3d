import { FALLBACK_EMPTY, type StatsDialect } from '../../stats/dialect.js';

/** SQLite's expressions for `/stats` (see StatsDialect). */
export const statsSql: StatsDialect = {
  substr: (s, from, length) => `substr(${s}, ${from}${length === undefined ? '' : `, ${length}`})`,
  slashPos: (s) => `instr(${s}, '/')`,
  idiv: (a, b) => `((${a}) / (${b}))`,
  epochSeconds: (c) => `CAST(strftime('%s', ${c}) AS INTEGER)`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(CASE WHEN instr(${xff}, ',') > 0 THEN substr(${xff}, 1, instr(${xff}, ',') - 1) ELSE ${xff} END)`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND instr(${dra}, ']') > 0 THEN substr(${dra}, 1, instr(${dra}, ']'))
      WHEN length(${dra}) - length(replace(${dra}, ':', '')) = 1 THEN substr(${dra}, 1, instr(${dra}, ':') - 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `lower(substr(${statsSql.clientHost()}, 1, 255))`,
  isFallback: () =>
    `(CASE WHEN ai_log LIKE '%fallback_from%' THEN (CASE WHEN json_valid(ai_log) THEN
      (CASE WHEN COALESCE(CAST(json_extract(ai_log, '$.fallback_from') AS TEXT), '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)
      ELSE 0 END) ELSE 0 END)`,
};

