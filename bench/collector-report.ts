// Writes docs/benchmarks.md from one run of bench/collector.bench.ts: the method, the machine and
// the latest figures as ratios. The READMEs keep only the latest ratios and link here.
import { fileURLToPath } from 'node:url';
import { writeBenchSection } from './bench-doc.js';
import { cpus, release, totalmem } from 'node:os';

export interface StoreFigures {
  store: string;
  version: string;
  bulkPath: string;
  /** Rows/s by the database's own bulk path. */
  limit: number;
  /** Persisted rows/s, batched NDJSON through the collector. */
  ndjson: number;
  singleRuns: number[];
  /** Median of singleRuns. */
  single: number;
  /** Collector CPU µs per record, per one-object run. */
  cpuPerRecord: number[];
  peakRss: number;
}

export interface Report {
  figures: StoreFigures[];
  ceiling: number;
  generator: string;
  loadStart: number[];
  loadEnd: number[];
  speedStart: number;
  speedEnd: number;
  settings: { dbSeconds: number; ndjsonRecords: number; ndjsonBatch: number; singleRuns: number; connections: number; singleSeconds: number; singleRecords: number };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (a: number, b: number) => (a / b).toFixed(2);
const range = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;

export function writeBenchmarksDoc(r: Report): string {
  const s = r.settings;
  const cpu = cpus();
  const rows = r.figures.map(
    (f) =>
      `| ${f.store} | ${fmt(f.limit)} rows/s (${f.bulkPath}) | ${fmt(f.ndjson)} rows/s | **${ratio(f.ndjson, f.limit)}** | ${fmt(f.single)} (${f.singleRuns.map(fmt).join(', ')}) | **${ratio(f.single, f.limit)}** | ${range(f.cpuPerRecord)} µs | ${(f.peakRss / 1024 / 1024).toFixed(0)} MiB |`,
  );
  const one =
    r.generator === 'wrk'
      ? `wrk for ${s.singleSeconds} s per run`
      : `the Node generator in bench/keepalive-load.ts, ${fmt(s.singleRecords)} records per run`;
  const text = `### Method

For each database, in one run and each phase from an empty table:

1. **the database's own limit**: the same rows loaded for ${s.dbSeconds} s by the database's fastest
   bulk path straight from its client: ${r.figures.map((f) => `${f.store}: ${f.bulkPath}`).join('; ')};
   MariaDB into the seed's table as users create it, PostgreSQL into the table the collector creates;
2. **batched NDJSON ingest**: ${fmt(s.ndjsonRecords)} records in requests of ${fmt(s.ndjsonBatch)}
   (four in flight) through the built collector (\`packages/collector/dist\`) as a child process;
3. **one object per request**, the reference plugin's way: ${s.connections} keep-alive connections
   with one request in flight on each, every body its own record, from ${one};
   ${s.singleRuns} runs, the figure is the median.

Rates are persisted rows per second: from the first request until the last row is in the table.
The ratio to the limit is the figure that matters (target ≥ 0.8 for NDJSON): the machine is
shared, so absolute rates move from one minute to the next, while both sides of a ratio are
measured minutes apart on the same machine.

### Machine

- ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 1024 ** 3).toFixed(1)} GiB, Linux ${release()}, Node ${process.version}
- ${r.figures.map((f) => `${f.store}: ${f.version}`).join('; ')}; load generator: ${r.generator}
- load average ${r.loadStart.map((x) => x.toFixed(2)).join(' ')} at start, ${r.loadEnd.map((x) => x.toFixed(2)).join(' ')} at end;
  host speed (one \`JSON.parse\` of the bench record on one thread) ${r.speedStart.toFixed(1)} µs at start, ${r.speedEnd.toFixed(1)} µs at end
- The machine is shared by several busy users: the databases, the collector and the load
  generator compete with their work for two cores. To leave them the machine, the bench was run
  at most twice for this page.

### Latest figures

| database | its limit | NDJSON ingest | NDJSON / limit | one object per request, median (runs) | one object / limit | collector CPU per record (one object) | collector peak RSS |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

The load generator reached ${fmt(r.ceiling)} requests/s against a bare \`node:http\` server that
only answers: the ceiling for the one-object figures on this machine.
`;
  writeBenchSection('collector', '## The collector: persisted rows/s against each database\'s own limit', text);
  return fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
}
