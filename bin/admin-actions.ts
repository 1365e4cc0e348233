// The API's admin actions as `pnpm serve` wires them: a job run in its own process (as `pnpm job:<layer>` would
// run it, with this process's configuration), and dead-letter replays through a runtime opened on first use.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { envFor, PROJECT_ROOT, type Config } from '../core/config.ts';
import { jobLockHolder } from '../core/jobs/job-lock.ts';
import type { Pool } from '../core/postgres.ts';
import { openRuntime, type Runtime } from '../core/runtime.ts';
import { replayDeadLetters } from '../ingest/replay.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import type { AdminActions } from '../serving/routes/admin.ts';

/** The settings a child process needs to see the same platform as this one. */

/** Admin actions: job runs in their own process (as `pnpm job:<layer>`), dead-letter replays through a runtime. */
export function adminActions(cfg: Config, pool: Pool): AdminActions & { close(): Promise<void> } {
  let runtime: Promise<Runtime> | undefined;
  return {
    sources: Object.keys(SOURCES),
    jobInProgress: () => jobLockHolder(pool),
    async startJob({ layer, select, fullRefresh }) {
      const args = [layer, ...(select ? ['--select', select] : []), ...(fullRefresh ? ['--full-refresh'] : [])];
      const logDir = path.join(cfg.dataDir, 'logs', 'jobs');
      mkdirSync(logDir, { recursive: true });
      const log = path.join(logDir, `${new Date().toISOString().replace(/[:.]/g, '')}-${layer}.log`);
      const out = openSync(log, 'a');
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bin', 'job.ts'), ...args], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', out, out],
        env: { ...process.env, ...envFor(cfg) },
      });
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      child.once('exit', (code) =>
        console.log(`job:${layer} (pid ${child.pid}) exited with ${code}; output in ${log}`),
      );
      return { pid: child.pid!, command: `pnpm job:${args.join(' ')}`, log: path.relative(PROJECT_ROOT, log) };
    },
    async replayDeadLetters(source, limit) {
      runtime ??= openRuntime(cfg);
      return replayDeadLetters(await runtime, SOURCES[source]!, { limit });
    },
    async close() {
      await (await runtime)?.close();
    },
  };
}
