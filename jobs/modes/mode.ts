// What every write mode shares: the context a table run hands it, the interface each mode file implements (one file
// per mode, as Kysely keeps one folder per dialect), and the helpers the row modes share.
import path from 'node:path';
import { sqlIdent, sqlString, type DuckSession } from '../../core/duckdb.ts';
import { TerminalError } from '../../core/errors.ts';
import type { DataFile, LiveFile, Snapshot, TableRef } from '../../lake/catalog/catalog.ts';
import type { Runtime } from '../../lake/runtime.ts';
import type { Stopwatch } from '../../core/stopwatch.ts';
import { partitionOf, type InputState, type TablePlan } from '../plan.ts';
import { checkSchema, type ColumnType } from '../schema-check.ts';
import type { TableDefinition } from '../table-spec.ts';
import type { WindowState } from './window-sql.ts';
import { writeRows } from '../write-files.ts';

export interface TableRunContext {
  rt: Runtime;
  duck: DuckSession;
  runId: string;
  /** Every declared table by `<layer>.<name>`, to define the views a table reads. */
  definitions: Map<string, TableDefinition>;
  plan: TablePlan;
  inputs: InputState[];
  target?: Snapshot;
  onProgress?: (message: string) => void;
  /** window mode: return the windows the run changed (TableRunResult.changedRows), for an incremental load. */
  collectChanges?: boolean;
  /** Times the run's stages; set by the table runner. */
  stopwatch?: Stopwatch;
}

/** One write: the table, its checked batch (a query) and where to stage files. */
export interface ModeRun {
  ctx: TableRunContext;
  table: TableDefinition;
  batch: string;
  tmpDir: string;
  /** window mode: the watermark the table's current snapshot carries. */
  windowState?: WindowState;
  /** Reports a stage's progress in percent. */
  progress?: (percent: number) => void;
}

/** What a write produced: the files to add, the files they replace, and what the commit records about it. */
export interface Written {
  files: DataFile[];
  remove: 'all' | number[];
  window?: WindowState;
  changed?: Record<string, unknown>[];
}

export interface WriteMode {
  /** Keep one row per key while checking (the first by latestBy): one sort instead of two. */
  ranksRows: boolean;
  /** The table's SQL must give one row per key itself (the runner refuses duplicates). */
  keysFromSql: boolean;
  /** The catalog operation of an incremental run (a full run replaces, a partition rebuild overwrites). */
  incrementalOperation: 'append' | 'merge';
  write(run: ModeRun): Promise<Written>;
}

/** The rows to write and the files they replace. */
export interface Combined {
  sql: string;
  remove: 'all' | number[];
  partitions: string[];
}

/** How a row mode combines a batch with the rows it may replace, for an incremental run (plan scope `new`). */
export type Fold = (run: ModeRun, live: LiveFile[]) => Promise<Combined>;

/**
 * The row modes' write: everything (scope all: the batch, or `full` of it), the partitions being rebuilt, or the
 * batch folded into the table by the mode; then the rows written as Parquet per partition.
 */
export async function writeByScope(
  run: ModeRun,
  fold: Fold,
  full?: (run: ModeRun) => Promise<string>,
): Promise<Written> {
  const { ctx, table } = run;
  const live = ctx.target?.files ?? [];
  let combined: Combined;
  if (ctx.plan.scope === 'all') {
    combined = { sql: full ? await full(run) : run.batch, remove: 'all', partitions: [] };
  } else {
    await checkAgainst(ctx, table, run.batch, live);
    combined = ctx.plan.scope === 'partitions' ? await rebuildPartitions(run, live) : await fold(run, live);
  }
  ctx.onProgress?.(`writing${combined.partitions.length ? ` ${combined.partitions.length} partition(s)` : ''}`);
  const ref: TableRef = { layer: table.layer, name: table.name };
  const files = await writeRows(ctx.rt, ctx.duck, ref, combined.sql, {
    partitionBy: table.partitionBy,
    tmpDir: run.tmpDir,
    runId: ctx.runId,
    onProgress: run.progress,
    stopwatch: ctx.stopwatch,
  });
  return { files, remove: combined.remove };
}

/** A backfill: the batch replaces the partitions named, and must hold no row outside them. */
async function rebuildPartitions({ ctx, table, batch }: ModeRun, live: LiveFile[]): Promise<Combined> {
  const { plan, duck } = ctx;
  const part = sqlIdent(table.partitionBy!);
  const list = plan.partitions.map(sqlString).join(', ');
  const outside = Number(await duck.scalar(`select count(*) from (${batch}) where ${part}::varchar not in (${list})`));
  if (outside > 0) {
    throw new TerminalError(
      `${table.layer}.${table.name}: ${outside} rows fall outside the partitions being rebuilt (${plan.partitions.join(', ')}); ${table.partitionBy} must be derived from the input's partition (e.g. the UTC date of observed_at)`,
    );
  }
  return {
    sql: batch,
    remove: idsOf(live.filter((f) => plan.partitions.includes(partitionOf(f) ?? ''))),
    partitions: plan.partitions,
  };
}

export const idsOf = (files: LiveFile[]) => files.map((f) => f.fileId);

/** A query over the files' rows, or undefined when there are none. */
export async function filesQuery(ctx: TableRunContext, files: LiveFile[]): Promise<string | undefined> {
  if (files.length === 0) return undefined;
  const paths = await Promise.all(files.map((f) => ctx.rt.store.localPath(f.path)));
  return `select * from read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)`;
}

export async function describe(duck: DuckSession, sql: string): Promise<ColumnType[]> {
  return (await duck.all(`describe ${sql}`)).map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Columns a mode adds to every row (scd2's validity), ignored when comparing a batch with the table's files. */
export const MODE_COLUMNS = ['valid_from', 'valid_to', 'is_current'] as const;

/** Refuses a batch whose column types changed incompatibly from the table's files (new columns are fine). */
export async function checkAgainst(ctx: TableRunContext, table: TableDefinition, batch: string, live: LiveFile[]) {
  const existing = await filesQuery(ctx, live);
  if (!existing) return;
  const columns = (await describe(ctx.duck, existing)).filter(
    (c) => !(MODE_COLUMNS as readonly string[]).includes(c.name),
  );
  const added = checkSchema(
    `${table.layer}.${table.name}`,
    columns,
    await describe(ctx.duck, batch),
    path.basename(table.sqlPath),
  );
  if (added.length) ctx.onProgress?.(`new column(s) ${added.join(', ')}: older rows read them as NULL`);
}

/** The in-memory DuckDB database a table run keeps its checked rows (and a window run its windows) in. */
export const WORK_DATABASE = '__work';

export const keyList = (pk: string[]) => pk.map(sqlIdent).join(', ');

/** What a mode's SQL combines: the batch and, where the table holds rows this write may replace, those. */
export interface ModeInput {
  /** A query returning the batch's rows (passed expectations; output columns only; one row per key for merge and append). */
  batch: string;
  primaryKey: string[];
  latestBy?: string;
  /** A query returning the table's existing rows that this write may replace, or undefined when there are none. */
  existing?: string;
}

export const modeInput = (table: TableDefinition, batch: string): ModeInput => ({
  batch,
  primaryKey: table.primaryKey,
  latestBy: table.latestBy,
});
