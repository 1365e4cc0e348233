// `pnpm scheduler`: node-cron runs each source's collector on its schedule and the silver and gold jobs on
// STRATA_JOBS_SCHEDULE. Runs never overlap themselves; each prints one line and is recorded in the catalog.
import { hostname } from 'node:os';
import cron from 'node-cron';
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { withRedisLock } from '../core/locks.ts';
import { openRuntime } from '../lake/runtime.ts';
import { runBatch } from '../pipeline/run-batch.ts';
import { inlineDrain } from '../bronze/inline-drain.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';

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

const stamp = () => new Date().toISOString();

/** Every scheduled task runs under a Redis lock named after it: a second scheduler skips it and says who holds it. */
const LOCK_TTL_MILLIS = 10 * 60_000;
const owner = `${hostname()}:${process.pid}`;

runMain(async () => {
  const cfg = config();
  const rt = await openRuntime(cfg);
  const locked = (name: string, work: () => Promise<void>) => async () => {
    const outcome = await withRedisLock(rt.redis(), `${cfg.redisPrefix}:lock:${name}`, owner, LOCK_TTL_MILLIS, work);
    if (!outcome.acquired)
      console.log(`${stamp()} ${name}: skipped, running on ${outcome.holder ?? 'another scheduler'}`);
  };
  const tasks = Object.values(SOURCES).map((source) =>
    cron.schedule(
      source.schedule,
      locked(`ingest:${source.name}`, async () => {
        const r = await runIngest(rt, source, {
          drainInline: inlineDrain(rt, source.name),
          onBackpressure: (e) =>
            console.log(`${stamp()} ingest ${source.name}: ${e.state}, stream backlog ${e.backlog} of ${e.limit}`),
        });
        console.log(
          `${stamp()} ingest ${r.source}: ${r.status}, ${r.collected} seen, ${r.appended} new, ${r.duplicates} duplicate, ${r.deadLettered} failed${r.error ? ` — ${r.error}` : ''}`,
        );
      }),
      { name: `ingest:${source.name}`, noOverlap: true, timezone: 'UTC' },
    ),
  );
  tasks.push(
    cron.schedule(
      cfg.jobsSchedule,
      locked('jobs', async () => {
        const { tables, loads } = await runBatch(rt, { layers: ['silver', 'gold'], wait: true });
        for (const r of tables)
          console.log(
            `${stamp()} job ${r.table}: ${r.status}, ${r.rowsIn} in, ${r.rowsOut} out, ${r.rowsQuarantined} quarantined${r.error ? ` — ${r.error}` : ''}`,
          );
        for (const l of loads)
          console.log(
            `${stamp()} load ${l.table} → PostgreSQL: ${l.status}, ${l.rows} rows${l.error ? ` — ${l.error}` : ''}`,
          );
      }),
      { name: 'jobs', noOverlap: true, timezone: 'UTC' },
    ),
  );
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
