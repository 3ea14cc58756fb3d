export * from './params.js';
export * from './compute.js';
export { statsDialect, type StatsDialect } from './dialect-sql.js';
export * from './sample.js';
export { SqliteStatsRunner, StatsBusyError, MAX_QUEUED } from './sqlite-runner.js';
