// The scheduler (`pnpm scheduler`): node-cron runs each source's collection on its schedule and a batch (silver, gold,
// loads) on STRATA_JOBS_SCHEDULE. Runs never overlap themselves, and each holds a Redis lock named after its task, so
// two schedulers never run the same one; each run prints one line and is recorded in the catalog.
import { hostname } from 'node:os';
import cron, { type ScheduledTask } from 'node-cron';
import { withRedisLock } from '../core/locks.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import type { Runtime } from '../lake/runtime.ts';
import { collectOnce } from './collect.ts';
import { runBatch } from './run-batch.ts';
import { stamp } from '../core/cli.ts';

/** A task's lock outlives a stuck holder by at most this long. */
const LOCK_TTL_MILLIS = 10 * 60_000;

/** Schedules every source and the batch; returns the tasks (stop them to end). */
export function scheduleAll(rt: Runtime, log: (line: string) => void = (l) => console.log(l)): ScheduledTask[] {
  const owner = `${hostname()}:${process.pid}`;
  const locked = (name: string, work: () => Promise<void>) => async () => {
    const outcome = await withRedisLock(
      rt.redis(),
      `${rt.config.redisPrefix}:lock:${name}`,
      owner,
      LOCK_TTL_MILLIS,
      work,
    );
    if (!outcome.acquired) log(`${stamp()} ${name}: skipped, running on ${outcome.holder ?? 'another scheduler'}`);
  };
  const tasks = Object.values(SOURCES).map((source) =>
    cron.schedule(
      source.schedule,
      locked(`ingest:${source.name}`, async () => {
        const r = await collectOnce(rt, source, { log: (line) => log(`${stamp()} ingest ${source.name}: ${line}`) });
        log(
          `${stamp()} ingest ${r.target}: ${r.status}, ${r.rowsIn} seen, ${r.rowsOut} new, ${r.duplicates} duplicate, ${r.rowsRejected} failed${r.error ? ` — ${r.error}` : ''}`,
        );
      }),
      { name: `ingest:${source.name}`, noOverlap: true, timezone: 'UTC' },
    ),
  );
  tasks.push(
    cron.schedule(
      rt.config.jobsSchedule,
      locked('jobs', async () => {
        const { tables, loads } = await runBatch(rt, { layers: ['silver', 'gold'], wait: true });
        for (const r of tables)
          log(
            `${stamp()} job ${r.target}: ${r.status}, ${r.rowsIn} in, ${r.rowsOut} out, ${r.rowsRejected} quarantined${r.error ? ` — ${r.error}` : ''}`,
          );
        for (const l of loads)
          log(
            `${stamp()} load ${l.target} → PostgreSQL: ${l.status}, ${l.rowsOut} rows${l.error ? ` — ${l.error}` : ''}`,
          );
      }),
      { name: 'jobs', noOverlap: true, timezone: 'UTC' },
    ),
  );
  return tasks;
}
