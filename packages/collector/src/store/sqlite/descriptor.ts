import type { StoreDescriptor } from '../descriptor.js';
import { statsSql } from './stats-sql.js';

export const descriptor: StoreDescriptor = {
  dialect: 'sqlite',
  info: {
    store: 'SQLite (default)',
    target: '`DATA_DIR/access_logs.db`, or `DATABASE_URL=sqlite:path`',
    driver: 'better-sqlite3',
    writes: 'prepared single-row INSERTs in one transaction',
    retention: '`DELETE … WHERE id IN (SELECT id … LIMIT n)`',
    stats: 'in SQLite, on a worker thread',
  },
  statsSql,
};
