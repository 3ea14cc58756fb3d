import { FALLBACK_EMPTY, type StatsDialect } from '../../stats/dialect.js';

/** MySQL / MariaDB's expressions for `/stats` (see StatsDialect). */
export const statsSql: StatsDialect = {
  substr: (s, from, length) => `SUBSTRING(${s}, ${from}${length === undefined ? '' : `, ${length}`})`,
  slashPos: (s) => `LOCATE('/', ${s})`,
  idiv: (a, b) => `((${a}) DIV (${b}))`,
  // TIMESTAMPDIFF from the epoch, not UNIX_TIMESTAMP(): the latter reads a DATETIME in the
  // session time zone, and the collector stores UTC.
  epochSeconds: (c) => `TIMESTAMPDIFF(SECOND, '1970-01-01 00:00:00', ${c})`,
  clientHost: () => {
    const xff = 'x_forwarded_for';
    const dra = 'downstream_remote_address';
    const first = `TRIM(SUBSTRING_INDEX(${xff}, ',', 1))`;
    const host = `CASE WHEN ${dra} LIKE '[%' AND LOCATE(']', ${dra}) > 0 THEN SUBSTRING(${dra}, 1, LOCATE(']', ${dra}))
      WHEN CHAR_LENGTH(${dra}) - CHAR_LENGTH(REPLACE(${dra}, ':', '')) = 1 THEN SUBSTRING_INDEX(${dra}, ':', 1)
      ELSE ${dra} END`;
    return `(CASE WHEN ${xff} IS NOT NULL AND TRIM(${xff}) NOT IN ('', '-') THEN ${first} ELSE NULLIF(${host}, '') END)`;
  },
  clientKey: () => `LOWER(CAST(${statsSql.clientHost()} AS CHAR(255)))`,
  isFallback: () =>
    `(CASE WHEN ai_log LIKE '%fallback_from%' THEN (CASE WHEN JSON_VALID(ai_log) THEN
      (CASE WHEN COALESCE(JSON_UNQUOTE(JSON_EXTRACT(ai_log, '$.fallback_from')), '') NOT IN ${FALLBACK_EMPTY} THEN 1 ELSE 0 END)
      ELSE 0 END) ELSE 0 END)`,
};

