// Process and port helpers for local mode: detached services with pid files, port probes, waits.
import { spawn } from 'node:child_process';
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
    const probe = net
      .createServer()
      .once('error', reject)
      .listen(0, '127.0.0.1', () => {
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
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ['ignore', log, log],
  });
  child.unref();
  if (!child.pid) throw new TerminalError(`could not start ${command}; see ${options.logFile}`);
  writePidFile(options.pidFile, child.pid);
  return child.pid;
}

/** Records a process as Strata's, so `pnpm infra:down` stops it. */
export function writePidFile(pidFile: string, pid: number): void {
  mkdirSync(path.dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, String(pid));
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
export async function stopPid(
  pidFile: string,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMillis = 30_000,
): Promise<boolean> {
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
