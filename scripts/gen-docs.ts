// Regenerates the README's field table from packages/schema (the one list of fields).
import { readFileSync, writeFileSync } from 'node:fs';
import { withFieldsTable } from '@db-log-pusher/schema';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withFieldsTable(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README field table is up to date' : 'README field table regenerated');
