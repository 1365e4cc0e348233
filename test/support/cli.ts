// Runs one of the project's commands the way a user's shell would (node --import tsx bin/…, so signals reach it),
// collecting its output for assertion messages.
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../core/config.ts';
import { scriptArgs } from '../../core/modules.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Starts a program in the project's folder with `env` added, collecting stdout and stderr together. */
export function spawnCommand(
  program: string,
  args: string[],
  env: Record<string, string>,
): { child: ChildProcess; exited: Promise<Exit> } {
  const child = spawn(program, args, {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, output })),
  );
  return { child, exited };
}

export const spawnCli = (script: string, args: string[], env: Record<string, string>) =>
  spawnCommand(process.execPath, [...scriptArgs(script), ...args], env);

/** Runs `pnpm <script> args…` as a user types it (the script's own node flags included). */
export const runPnpm = (script: string, args: string[], env: Record<string, string>): Promise<Exit> =>
  spawnCommand('pnpm', ['--silent', script, ...args], env).exited;
