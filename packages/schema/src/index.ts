export * from './fields.js';
export * from './record.js';
export * from './json-schema.js';
export * from './ddl.js';
export * from './docs.js';
