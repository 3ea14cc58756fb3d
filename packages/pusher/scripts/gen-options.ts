// Writes what src/options.ts generates: assembly/plugin/options.generated.ts,
// src/options.generated.ts and the options tables of packages/pusher/README.md and the root README.
// Run with: node --conditions=source --import tsx scripts/gen-options.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderAssembly, renderTypes, withTable } from './options-codegen.js';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');

function write(path: string, text: string): void {
  let before = '';
  try { before = readFileSync(path, 'utf8'); } catch { /* new file */ }
  if (before !== text) writeFileSync(path, text);
  console.log(`${before === text ? 'up to date' : 'wrote'} ${path}`);
}

write(join(pkg, 'assembly', 'plugin', 'options.generated.ts'), renderAssembly());
write(join(pkg, 'src', 'options.generated.ts'), renderTypes());
for (const readme of [join(pkg, 'README.md'), join(pkg, '..', '..', 'README.md')]) {
  write(readme, withTable(readFileSync(readme, 'utf8')));
}
