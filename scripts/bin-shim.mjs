// What the bins npm links (log-collector, db-log-gateway, mock-llm) run: a workspace's build
// (dist/cli.js) when `npm run build` has made it, otherwise its TypeScript source (src/cli.ts)
// through tsx, so the commands work right after `npm install` in a fresh clone. The bins are
// committed files because npm skips a bin whose file is missing at install time.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

// Resolves the workspaces to their sources (their exports' "source" condition), as the tests'
// `node --conditions=source` does; the flag itself cannot be set once the process runs.
const SOURCE_CONDITION =
  'data:text/javascript,' +
  encodeURIComponent('export function resolve(s, c, next) { return next(s, { ...c, conditions: [...c.conditions, "source"] }); }');

/** @param {URL} packageDir the workspace's folder, ending in a slash */
export async function runPackageCli(packageDir) {
  const built = new URL('dist/cli.js', packageDir);
  if (existsSync(built)) return import(built.href);
  register(SOURCE_CONDITION);
  // Worker threads started with process.execArgv (the collector's statistics worker) then
  // resolve the same way.
  process.execArgv.push('--conditions=source');
  const tsx = await import('tsx/esm/api');
  tsx.register();
  return import(new URL('src/cli.ts', packageDir).href);
}
