export { Retention, type RetentionOptions } from './retention.js';
