import type { Field, FieldName } from './fields.js';

/** TypeScript type of each wire JSON type. */
export interface JsonTypeMap {
  string: string;
  integer: number;
  number: number;
  object: Record<string, unknown>;
  'string-map': Record<string, string>;
}

/** One access-log record as it travels on the wire (every field optional, null allowed). */
export type AccessLogRecord = {
  [F in Field as F['name']]?: JsonTypeMap[F['json']] | null;
};

/** A record as read back from a store: every field present (null where unknown), plus the row id. */
export type StoredAccessLog = { id: number } & {
  [K in FieldName]: AccessLogRecord[K] | null;
};
