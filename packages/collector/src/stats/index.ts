export * from './params.js';
export * from './compute.js';
export { statsDialect, type StatsDialect } from './dialect-sql.js';
export * from './sample.js';
