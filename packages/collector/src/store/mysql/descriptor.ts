import type { StoreDescriptor } from '../descriptor.js';
import { statsSql } from './stats-sql.js';

export const descriptor: StoreDescriptor = {
  dialect: 'mysql',
  info: {
    store: 'MySQL / MariaDB',
    target: '`MYSQL_DSN` (Go format) or `DATABASE_URL=mysql://…`',
    driver: 'mysql2',
    writes: 'multi-row INSERTs, the transaction in one round trip',
    retention: '`DELETE … ORDER BY start_time LIMIT n`',
    stats: 'in the database',
  },
  statsSql,
};
