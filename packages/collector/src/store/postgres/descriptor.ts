import type { StoreDescriptor } from '../descriptor.js';
import { statsSql } from './stats-sql.js';

export const descriptor: StoreDescriptor = {
  dialect: 'postgres',
  info: {
    store: 'PostgreSQL',
    target: '`DATABASE_URL=postgres://…?sslmode=…`',
    driver: 'pg, pg-copy-streams',
    writes: '`COPY … FROM STDIN` (text format)',
    retention: '`DELETE … WHERE ctid = ANY (ARRAY(SELECT ctid … LIMIT n))`',
    stats: 'in the database',
  },
  statsSql,
};
