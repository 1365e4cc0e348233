// `pnpm scheduler`: every source's collection on its schedule and the silver and gold batch on STRATA_JOBS_SCHEDULE
// (pipeline/scheduler.ts), until SIGTERM/SIGINT.
import { parseCommand, runMain } from '../core/cli.ts';

const { values } = parseCommand({
  usage: 'pnpm scheduler [--run-now]',
  summary: `Schedules each source's collection (its schedule: \`pnpm sources\` lists them) and the silver+gold jobs (STRATA_JOBS_SCHEDULE).\nRuns never overlap, and each holds a Redis lock, so two schedulers never run the same task. The bronze writer runs beside it: \`pnpm bronze\`.`,
  options: {
    'run-now': {
      type: 'boolean',
      description: 'Run every collector and the jobs once at start, then follow the schedules',
    },
  },
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { openRuntime } = await import('../lake/runtime.ts');
const { scheduleAll } = await import('../pipeline/scheduler.ts');

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
