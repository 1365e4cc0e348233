// `pnpm scheduler`: every source's collection on its schedule and the silver and gold batch on STRATA_JOBS_SCHEDULE
// (pipeline/scheduler.ts), until SIGTERM/SIGINT.
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import { openRuntime } from '../lake/runtime.ts';
import { scheduleAll } from '../pipeline/scheduler.ts';

const { values } = parseCommand({
  usage: 'pnpm scheduler [--run-now]',
  summary: `Schedules the collectors (${Object.entries(SOURCES)
    .map(([n, s]) => `${n}: "${s.schedule}"`)
    .join(
      ', ',
    )}) and the silver+gold jobs (STRATA_JOBS_SCHEDULE).\nRuns never overlap, and each holds a Redis lock, so two schedulers never run the same task. The bronze writer runs beside it: \`pnpm bronze\`.`,
  options: {
    'run-now': {
      type: 'boolean',
      description: 'Run every collector and the jobs once at start, then follow the schedules',
    },
  },
});

runMain(async () => {
  const rt = await openRuntime(config());
  const tasks = scheduleAll(rt);
  for (const task of tasks)
    console.log(`scheduled ${task.name} ("${task.getPattern()}"), next run ${task.getNextRun()?.toISOString()}`);
  if (values['run-now']) for (const task of tasks) await task.execute();
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  for (const task of tasks) await task.stop();
  await rt.close();
});
