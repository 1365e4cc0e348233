// Keeps one CLI command running the way a process manager (systemd, docker's restart policy) or a scheduler would:
// started again whenever it exits, after a pause that grows while it keeps failing. Fault tests kill it on purpose and
// read how each run ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { PROJECT_ROOT } from '../../core/config.ts';
import { backoffMillis, sleep } from '../../core/retry.ts';
import { scriptArgs } from '../../core/modules.ts';

export interface SupervisedStats {
  starts: number;
  /** Runs that exited 0, exited with another code, or died of SIGKILL sent by the test. */
  succeeded: number;
  failed: number;
  killed: number;
}

export class Supervised {
  readonly stats: SupervisedStats = { starts: 0, succeeded: 0, failed: 0, killed: 0 };
  private child: ChildProcess | undefined;
  private running = false;
  private loop: Promise<void> | undefined;
  private tail = '';
  /** Resolvers waiting for a run that starts after the call to exit 0. */
  private cleanWaiters: { after: number; resolve: () => void }[] = [];

  constructor(
    readonly name: string,
    private readonly script: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      const startedAt = ++this.stats.starts;
      const child = spawn(process.execPath, [...scriptArgs(this.script), ...this.args], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...this.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      const keep = (d: Buffer) => (this.tail = (this.tail + d.toString()).slice(-20_000));
      child.stdout!.on('data', keep);
      child.stderr!.on('data', keep);
      const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      this.child = undefined;
      if (signal === 'SIGKILL') this.stats.killed++;
      else if (code === 0) this.stats.succeeded++;
      else this.stats.failed++;
      if (code === 0) {
        failures = 0;
        for (const w of this.cleanWaiters.filter((w) => w.after < startedAt)) w.resolve();
        this.cleanWaiters = this.cleanWaiters.filter((w) => w.after >= startedAt);
      } else if (signal !== 'SIGKILL') {
        failures++;
      }
      if (this.running) await sleep(failures ? backoffMillis(failures, 250, 3000) : 100);
    }
  }

  /** SIGKILLs the current run, if one is alive; true when it was. */
  kill(): boolean {
    if (!this.child || this.child.exitCode !== null) return false;
    return this.child.kill('SIGKILL');
  }

  /** Resolves once a run that started after this call has exited 0 (for one-shot commands run in a loop). */
  nextCleanRun(timeoutMillis: number): Promise<void> {
    const after = this.stats.starts;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${this.name}: no clean run within ${timeoutMillis} ms; last output:\n${this.tail}`)),
        timeoutMillis,
      );
      this.cleanWaiters.push({
        after,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  /** Stops restarting it and ends the current run with `signal` (SIGINT: a clean stop); resolves when it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<void> {
    this.running = false;
    this.child?.kill(signal);
    await this.loop;
  }

  output(): string {
    return this.tail;
  }
}
