// Runs declared tables in dependency order, each by its plan (plan.ts), and returns one result per table; a table
// whose input failed is skipped. One run at a time (job-lock.ts).
import { refOf, type Snapshot } from '../lake/catalog/catalog.ts';
import { newRunId } from '../lake/catalog/runs.ts';
import type { DuckSession } from '../core/duckdb.ts';
import { describeError, TerminalError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';
import { streamHolder, withJobLock } from './job-lock.ts';
import { openJobSession } from './job-session.ts';
import { layoutDiffers, planTable, type InputState, type PlanOptions, type TablePlan } from './plan.ts';
import { keyOf, loadAllTables, type JobLayer } from './registry.ts';
import { selectTables } from './selection.ts';
import { emptyResult, type TableDefinition, type TableRunResult } from './table-spec.ts';
import { runTable } from './table-runner.ts';

export interface JobOptions extends PlanOptions {
  /** The layer whose tables run when nothing is selected. */
  layer: JobLayer;
  /** `--select` expressions (name, name+, +name); they may reach into the other layer. */
  select?: string[];
  /** Queue behind a run in progress instead of failing at once. */
  wait?: boolean;
  /** Where the table folders are (default: the project); tests point it at their own tables. */
  root?: string;
  onTableStart?: (table: string, plan: TablePlan) => void;
  onProgress?: (table: string, message: string) => void;
  onTableDone?: (result: TableRunResult) => void;
}

export interface JobPlanEntry {
  table: TableDefinition;
  plan: TablePlan;
}

/** Every declared table by name, and the ones a job runs, in order: the selection, or the layer; views never run. */
async function chooseTables(options: JobOptions) {
  const all = await loadAllTables(options.root);
  const definitions = new Map(all.map((t) => [keyOf(t), t]));
  const chosen = options.select?.length
    ? selectTables(all, options.select)
    : all.filter((t) => t.layer === options.layer);
  return { definitions, chosen: chosen.filter((t) => t.writeMode !== 'view') };
}

/** The tables a job would run, in order, each with the plan the catalog gives it now. */
export async function planJob(rt: Runtime, options: JobOptions): Promise<JobPlanEntry[]> {
  const { definitions, chosen } = await chooseTables(options);
  const entries: JobPlanEntry[] = [];
  for (const table of chosen) {
    const { plan } = await planOne(rt, table, definitions, options);
    entries.push({ table, plan });
  }
  return entries;
}

export async function planOne(
  rt: Runtime,
  table: TableDefinition,
  definitions: Map<string, TableDefinition>,
  options: PlanOptions,
) {
  const inputs: InputState[] = [];
  for (const name of physicalInputs(table, definitions)) {
    inputs.push({ name, liveFiles: (await rt.catalog.currentSnapshot(refOf(name)))?.files ?? [] });
  }
  const target: Snapshot | undefined = await rt.catalog.currentSnapshot(table);
  const consumed = target ? await rt.catalog.consumedFiles(table) : new Set<number>();
  const layoutChanged = !!target && layoutDiffers(target.files, table.partitionBy);
  return { plan: planTable(table, inputs, { exists: !!target, consumed, layoutChanged }, options), inputs, target };
}

/** A table's inputs with views replaced by the tables they read. */
function physicalInputs(
  table: TableDefinition,
  definitions: Map<string, TableDefinition>,
  seen = new Set<string>(),
): string[] {
  for (const name of table.from) {
    const view = definitions.get(name);
    if (view?.writeMode === 'view') physicalInputs(view, definitions, seen);
    else seen.add(name);
  }
  return [...seen];
}

/** An input of `table` that failed (or was skipped) among `results`, which keeps the table from running. */
export const failedInputOf = (table: TableDefinition, results: TableRunResult[]) =>
  table.from.find((input) =>
    results.some((r) => r.target === input && (r.status === 'failed' || r.status === 'skipped')),
  );

export async function runJob(rt: Runtime, options: JobOptions): Promise<TableRunResult[]> {
  const label = `job:${options.layer}${options.select?.length ? ` --select ${options.select.join(',')}` : ''}`;
  return withJobLock(rt, { label, wait: options.wait }, async () => {
    const { definitions, chosen } = await chooseTables(options);
    const duck = await openJobSession(rt.config, { preserveInsertionOrder: false });
    const results: TableRunResult[] = [];
    // While `pnpm stream` runs, it alone updates the streaming tables (and their PostgreSQL copies).
    const stream = chosen.some((t) => t.streaming) ? await streamHolder(rt.pool) : undefined;
    try {
      for (const table of chosen) {
        const name = keyOf(table);
        const failedInput = failedInputOf(table, results);
        let result: TableRunResult;
        if (failedInput) {
          result = emptyResult(name, 'skipped', `input ${failedInput} did not succeed`);
        } else if (table.streaming && stream) {
          options.onTableStart?.(name, {
            table: name,
            action: 'up to date',
            scope: 'new',
            reason: `kept current by the running stream (${stream})`,
            read: new Map(),
            partitions: [],
          });
          result = { ...emptyResult(name, 'up to date'), ownedByStream: stream };
        } else {
          result = await runPlanned(rt, duck, table, definitions, options);
        }
        results.push(result);
        options.onTableDone?.(result);
      }
    } finally {
      duck.close();
    }
    return results;
  });
}

async function runPlanned(
  rt: Runtime,
  duck: DuckSession,
  table: TableDefinition,
  definitions: Map<string, TableDefinition>,
  options: JobOptions,
): Promise<TableRunResult> {
  const name = keyOf(table);
  let planned: Awaited<ReturnType<typeof planOne>>;
  try {
    planned = await planOne(rt, table, definitions, options);
  } catch (error) {
    return emptyResult(name, 'failed', describeError(error));
  }
  options.onTableStart?.(name, planned.plan);
  if (planned.plan.action === 'up to date') return emptyResult(name, 'up to date');
  const runId = await rt.runs.start(`job:${table.layer}`, name, newRunId(table.layer));
  const result = await runTable(
    {
      rt,
      duck,
      runId,
      definitions,
      ...planned,
      onProgress: options.onProgress && ((m: string) => options.onProgress!(name, m)),
    },
    table,
  );
  // The windows a run changed are for the load that follows, not for the run's record.
  await rt.runs.finishStep(result, ['changedRows']);
  return result;
}

/** Checks `--from/--to` (YYYY-MM-DD, from ≤ to). */
export function parseRange(from: string | undefined, to: string | undefined): PlanOptions['range'] {
  if (from === undefined && to === undefined) return undefined;
  const day = /^\d{4}-\d{2}-\d{2}$/;
  const start = from ?? to!;
  const end = to ?? from!;
  for (const [flag, v] of [
    ['--from', start],
    ['--to', end],
  ] as const) {
    if (!day.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`)))
      throw new TerminalError(`${flag} "${v}" is not a date; use YYYY-MM-DD, e.g. 2026-11-20`);
  }
  if (start > end) throw new TerminalError(`--from ${start} is after --to ${end}`);
  return { from: start, to: end };
}
