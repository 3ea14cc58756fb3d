// The commands the workspaces declare (log-collector, db-log-gateway, mock-llm) work right after
// `npm ci` in a fresh clone, before any build: the files npm links must be committed, and what
// they run must not need dist/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const rootPackage = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };

/** Every bin the workspaces declare, from their package.json files (the one list). */
function declaredBins(): Map<string, string> {
  const bins = new Map<string, string>();
  for (const ws of rootPackage.workspaces) {
    const pkg = JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8')) as { bin?: Record<string, string> };
    for (const [name, file] of Object.entries(pkg.bin ?? {})) bins.set(name, join(ws, file));
  }
  return bins;
}

/** A fresh clone of the working tree: the files git tracks or would track, nothing it ignores. */
function freshCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'db-log-pusher-clone-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const f of files.split('\0')) {
    if (f === '' || !existsSync(join(ROOT, f))) continue; // deleted but not yet staged
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  return dir;
}

test('the declared commands are the three the README documents', () => {
  assert.deepEqual([...declaredBins().keys()].sort(), ['db-log-gateway', 'log-collector', 'mock-llm']);
});

test('after npm ci in a fresh clone every command is linked and answers --help without a build', async (t) => {
  const dir = freshCopy();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const [name, file] of declaredBins()) {
    assert.ok(existsSync(join(dir, file)), `${name}: ${file} is not in the repository, so npm cannot link it at install time`);
  }
  // --ignore-scripts: no native builds are needed for --help, and the test stays quick.
  const install = spawnSync('npm', ['ci', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8' });
  assert.equal(install.status, 0, `npm ci failed:\n${install.stderr}`);
  assert.ok(!existsSync(join(dir, 'packages/collector/dist')), 'the fresh clone must not have been built');
  for (const name of declaredBins().keys()) {
    const bin = join(dir, 'node_modules', '.bin', name);
    assert.ok(existsSync(bin), `npm ci did not link node_modules/.bin/${name}`);
    const r = spawnSync(bin, ['--help'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, `${name} --help exited ${r.status}:\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`Usage:\\s+${name}`), `${name} --help printed no usage`);
  }
});
