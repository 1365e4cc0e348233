// A clone of this repository with the working tree's uncommitted changes on top, so a test runs what is on disk.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/config.ts';

export function git(args: string[], cwd = PROJECT_ROOT): string {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, `git ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** Clones the repository into `target` and copies over every changed or new (not ignored) file. */
export function cloneInto(target: string): void {
  git(['clone', '--quiet', PROJECT_ROOT, target]);
  const list = (args: string[]) =>
    git([...args, '-z'])
      .split('\0')
      .filter(Boolean);
  const changed = [...list(['diff', '--name-only', 'HEAD']), ...list(['ls-files', '--others', '--exclude-standard'])];
  for (const file of changed) {
    if (existsSync(path.join(PROJECT_ROOT, file))) cpSync(path.join(PROJECT_ROOT, file), path.join(target, file));
    else rmSync(path.join(target, file), { force: true });
  }
}

/** Runs pnpm in a folder; resolves with its exit code and output. */
export function pnpm(
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn('pnpm', args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.once('exit', (code) => resolve({ code, output }));
  });
}
