// The operating system's programs: find a binary, run a command, install a Debian package when running as root.
// Shared by local mode (Redis, PostgreSQL) and the web collector (Chromium).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { TerminalError } from './errors.ts';

/** True when this process runs as root (it may install packages and switch users). */
export const isRoot = (): boolean => process.getuid?.() === 0;

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error)
    throw new TerminalError(`${command} could not start: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) {
    throw new TerminalError(
      `${command} ${args.join(' ')} failed (exit ${result.status}):\n${String(result.stderr || result.stdout).trim()}`,
    );
  }
  return String(result.stdout);
}

/** Finds an executable on PATH or in extra folders. */
export function findBinary(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs].filter(Boolean);
  return dirs.map((d) => path.join(d, name)).find((p) => existsSync(p));
}

/** The command a user without root runs to install the packages. */
export const installCommand = (packages: string[]) =>
  `sudo apt-get update && sudo apt-get install -y ${packages.join(' ')}`;

/**
 * Installs Debian packages when running as root; otherwise stops with the exact command to run.
 * `apt-get update` runs first only when the package is unknown to the local lists.
 */
export function ensureOsPackages(packages: string[], why: string): void {
  if (!isRoot() || !findBinary('apt-get')) {
    throw new TerminalError(
      `${why} is missing. Install it with:\n  ${installCommand(packages)}\nthen run the command again.`,
    );
  }
  console.log(`  installing ${packages.join(', ')} from the OS package manager (${why} is missing)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = spawnSync('apt-cache', ['policy', ...packages], { encoding: 'utf8' }).stdout ?? '';
  const known = policy.includes('Candidate: ') && !policy.includes('Candidate: (none)');
  if (!known) run('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
