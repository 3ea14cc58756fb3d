// docs/benchmarks.md is shared by the benches: each owns one section between its own markers
// and rewrites only that, so one bench's run leaves the others' figures in place.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const HEAD = '# Benchmarks\n\nWritten by `npm run bench`; each section by its bench, from its last run on this machine.\n';

export function writeBenchSection(name: string, title: string, body: string): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = `${start}\n${title}\n\n_${new Date().toISOString().slice(0, 10)}, \`bench/${name}.bench.ts\`_\n\n${body}\n${end}`;
  const doc = existsSync(DOC) ? readFileSync(DOC, 'utf8') : HEAD;
  const a = doc.indexOf(start);
  const b = doc.indexOf(end);
  const out = a >= 0 && b > a ? doc.slice(0, a) + section + doc.slice(b + end.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, out);
}
