// Regenerates the READMEs' generated tables: the field table from packages/schema (the one list of
// fields) and the store table from packages/collector/src/store/catalog.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { withFieldsTable } from '@db-log-pusher/schema';
import { storeTable } from '../packages/collector/src/store/catalog.js';

const STORES = /(<!-- stores:begin[^>]*-->\n)[\s\S]*?(\n<!-- stores:end -->)/;

for (const [file, withFields] of [['../README.md', true], ['../packages/collector/README.md', false]] as const) {
  const path = new URL(file, import.meta.url);
  const before = readFileSync(path, 'utf8');
  let after = withFields ? withFieldsTable(before) : before;
  after = after.replace(STORES, (_, a: string, b: string) => a + storeTable() + b);
  if (after !== before) writeFileSync(path, after);
  console.log(`${file.slice(3)}: ${after === before ? 'generated tables are up to date' : 'generated tables regenerated'}`);
}
