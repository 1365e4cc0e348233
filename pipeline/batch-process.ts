// A batch in a process of its own, as the API's admin actions start one (decision 0016): the API forks this module
// with the batch's options, and it writes to its log what `pnpm job:<layer>` prints.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMain } from '../core/cli.ts';
import { config, envFor, PROJECT_ROOT, type Config } from '../core/config.ts';
import type { JobLayer } from '../jobs/registry.ts';
import { scriptArgs } from '../core/modules.ts';
import { withRuntime } from '../lake/runtime.ts';
import { runBatch } from './run-batch.ts';
import { jobSummary, loadSummary } from './summary.ts';

export interface BatchRequest {
  layer: JobLayer;
  select?: string;
  fullRefresh?: boolean;
}

export interface StartedBatch {
  pid: number;
  /** The command that runs the same batch by hand. */
  command: string;
  /** The process's output, relative to the project. */
  log: string;
}

/** Starts a batch in a child process with this process's configuration; resolves once it has started. */
export async function startBatchProcess(cfg: Config, request: BatchRequest): Promise<StartedBatch> {
  const { layer, select, fullRefresh } = request;
  const logDir = path.join(cfg.dataDir, 'logs', 'jobs');
  mkdirSync(logDir, { recursive: true });
  const log = path.join(logDir, `${new Date().toISOString().replace(/[:.]/g, '')}-${layer}.log`);
  const out = openSync(log, 'a');
  const child = spawn(process.execPath, scriptArgs('pipeline/batch-process.ts', [JSON.stringify(request)]), {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...envFor(cfg) },
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  child.once('exit', (code) => console.log(`job:${layer} (pid ${child.pid}) exited with ${code}; output in ${log}`));
  const args = [layer, ...(select ? ['--select', select] : []), ...(fullRefresh ? ['--full-refresh'] : [])];
  return { pid: child.pid!, command: `pnpm job:${args.join(' ')}`, log: path.relative(PROJECT_ROOT, log) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runMain(async () => {
    const { layer, select, fullRefresh } = JSON.parse(process.argv[2] ?? '{}') as BatchRequest;
    return withRuntime(config(), async (rt) => {
      const batch = await runBatch(rt, {
        layers: [layer],
        select: select?.split(',').map((s) => s.trim()),
        fullRefresh,
        onTableStart: (t, plan) => console.log(`→ ${t}: ${plan.reason}`),
      });
      console.log(jobSummary(batch.tables));
      if (batch.loads.length) console.log(`\nLoaded into PostgreSQL:\n${loadSummary(batch.loads)}`);
      return batch.ok ? 0 : 1;
    });
  });
}
