// Process and port helpers for local mode: detached services with pid files, port probes, OS package installs.
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { TerminalError } from '../../core/errors.ts';
import { sleep } from '../../core/retry.ts';

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMillis = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMillis, () => done(false));
    socket.once('connect', () => done(true));
    socket.on('error', () => done(false));
  });
}

/** A loopback port nothing listens on right now (tests and benchmarks start servers on it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitUntil(check: () => Promise<boolean>, what: string, timeoutMillis = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(100);
  }
  throw new TerminalError(`${what} did not become ready within ${timeoutMillis / 1000}s`);
}

/** Runs a command to completion; throws with its output when it fails. */
export function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const result = spawnSync(command, args, { encoding: 'utf8', ...options });
  if (result.error) throw new TerminalError(`${command} could not start: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) {
    throw new TerminalError(`${command} ${args.join(' ')} failed (exit ${result.status}):\n${String(result.stderr || result.stdout).trim()}`);
  }
  return String(result.stdout);
}

/** Finds an executable on PATH or in extra folders. */
export function findBinary(name: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), ...extraDirs].filter(Boolean);
  return dirs.map((d) => path.join(d, name)).find((p) => existsSync(p));
}

const isRoot = () => process.getuid?.() === 0;

/**
 * Installs Debian packages when running as root; otherwise stops with the exact command to run.
 * `apt-get update` runs first only when the package is unknown to the local lists.
 */
export function ensureOsPackages(packages: string[], why: string): void {
  const command = `apt-get install -y ${packages.join(' ')}`;
  if (!isRoot() || !findBinary('apt-get')) {
    throw new TerminalError(`${why} is missing. Install it with:\n  sudo apt-get update && sudo ${command}\nthen run the command again.`);
  }
  console.log(`  installing ${packages.join(', ')} from the OS package manager (${why} is missing)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const policy = spawnSync('apt-cache', ['policy', ...packages], { encoding: 'utf8' }).stdout ?? '';
  const known = policy.includes('Candidate: ') && !policy.includes('Candidate: (none)');
  if (!known) run('apt-get', ['update', '-qq'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { env, stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface DetachedOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile: string;
}

/** Starts a long-lived process that outlives this one, with its output in logFile and its pid in pidFile. */
export function spawnDetached(command: string, args: string[], options: DetachedOptions): number {
  mkdirSync(path.dirname(options.logFile), { recursive: true });
  mkdirSync(path.dirname(options.pidFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', log, log] });
  child.unref();
  if (!child.pid) throw new TerminalError(`could not start ${command}; see ${options.logFile}`);
  writeFileSync(options.pidFile, String(child.pid));
  return child.pid;
}

/** The pid recorded in a pid file, if that process is still alive. */
export function livePid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Sends `signal`, waits for the process to exit (SIGKILL after the grace period), removes the pid file. */
export async function stopPid(pidFile: string, signal: NodeJS.Signals = 'SIGTERM', graceMillis = 30_000): Promise<boolean> {
  const pid = livePid(pidFile);
  if (pid === undefined) {
    rmSync(pidFile, { force: true });
    return false;
  }
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  process.kill(pid, signal);
  const deadline = Date.now() + graceMillis;
  while (alive() && Date.now() < deadline) await sleep(100);
  if (alive()) process.kill(pid, 'SIGKILL');
  rmSync(pidFile, { force: true });
  return true;
}

export { isRoot };
