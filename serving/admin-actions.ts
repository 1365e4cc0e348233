// The API's admin actions as `pnpm serve` wires them: a batch in its own process (what `pnpm job:<layer>` would
// run, with this process's configuration), and dead-letter replays through a runtime opened on first use.
import { type Config, envOf, loadConfig } from '../core/config.ts';
import { jobLockHolder } from '../jobs/job-lock.ts';
import type { Pool } from '../core/postgres.ts';
import { openRuntime, type Runtime } from '../lake/runtime.ts';
import { replayDeadLetters } from '../bronze/replay.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import { startBatchProcess } from '../pipeline/batch-process.ts';
import type { AdminActions } from './routes/admin.ts';

/** Admin actions: batches in their own process (as `pnpm job:<layer>`), dead-letter replays through a runtime. */
export function adminActions(cfg: Config, pool: Pool): AdminActions & { close(): Promise<void> } {
  let runtime: Promise<Runtime> | undefined;
  // The API may read as a read-only role: what it starts writes as STRATA_ADMIN_DATABASE_URL's.
  const admin =
    cfg.adminDatabaseUrl === cfg.databaseUrl ? cfg : loadConfig({ ...envOf(cfg), DATABASE_URL: cfg.adminDatabaseUrl });
  return {
    sources: Object.keys(SOURCES),
    jobInProgress: () => jobLockHolder(pool),
    startJob: (request) => startBatchProcess(admin, request),
    async replayDeadLetters(source, limit) {
      runtime ??= openRuntime(admin);
      return replayDeadLetters(await runtime, SOURCES[source]!, { limit });
    },
    async close() {
      await (await runtime)?.close();
    },
  };
}
