export * from './params.js';
export * from './compute.js';
export { type StatsDialect } from './dialect.js';
export * from './sample.js';
export { SqliteStatsRunner, StatsBusyError, MAX_QUEUED } from './sqlite-runner.js';
