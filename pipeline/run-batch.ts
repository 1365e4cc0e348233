// The batch pipeline, written once: silver, then gold, then the PostgreSQL loads of the gold tables that changed
// (as dlt's pipeline.run() does extract → normalize → load). Commands, the scheduler, the API's admin actions and the
// demo all run a batch through here.
import { describeError } from '../core/errors.ts';
import { logLine } from '../core/log.ts';
import { loadGold } from '../gold/gold-job.ts';
import type { LoadResult } from '../gold/loader/postgres-loader.ts';
import { runJob, type JobOptions } from '../jobs/job-runner.ts';
import type { JobLayer } from '../jobs/registry.ts';
import type { TableRunResult } from '../jobs/table-spec.ts';
import type { Runtime } from '../lake/runtime.ts';

export interface BatchOptions extends Omit<JobOptions, 'layer'> {
  /** The layers whose tables run, silver before gold; a selection may still reach into the other layer. */
  layers: readonly JobLayer[];
  onLoaded?: (load: LoadResult) => void;
}

export interface BatchRun {
  tables: TableRunResult[];
  loads: LoadResult[];
  /** Every table succeeded or was up to date, and every load succeeded. */
  ok: boolean;
}

const LAYER_ORDER: readonly JobLayer[] = ['silver', 'gold'];

/** Runs the layers' tables in dependency order, then loads into PostgreSQL every gold table it left newer there. */
export async function runBatch(rt: Runtime, { layers, onLoaded, ...options }: BatchOptions): Promise<BatchRun> {
  const tables: TableRunResult[] = [];
  for (const layer of LAYER_ORDER.filter((l) => layers.includes(l))) {
    tables.push(...(await runJob(rt, { ...options, layer })));
  }
  const loads = await loadGold(rt, tables, onLoaded);
  // Iceberg metadata left behind by a process that died after a commit is caught up here (docs/iceberg.md).
  await rt.iceberg
    .catchUp()
    .catch((error: unknown) =>
      logLine('warn', `iceberg: catching up failed (${describeError(error)}); pnpm lake:iceberg retries`),
    );
  return { tables, loads, ok: batchSucceeded(tables, loads) };
}

export const batchSucceeded = (tables: TableRunResult[], loads: LoadResult[]) =>
  tables.every((r) => r.status === 'succeeded' || r.status === 'up to date') &&
  loads.every((l) => l.status === 'succeeded');
