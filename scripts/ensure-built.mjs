// `npm start` builds only when an output is missing, so a second start is instant.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const outputs = ['packages/schema/dist/index.js', 'packages/collector/dist/cli.js', 'packages/dashboard/dist/index.html'];
if (!outputs.every((p) => existsSync(p))) {
  const r = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
