// What a table's run will read and rewrite, decided from the catalog alone (no data is read): the incremental rule
// of DESIGN.md contract 6. Pure, so `--dry-run` prints exactly what a run would do.
import type { DataFile, LiveFile } from '../lake/catalog/catalog.ts';
import { expandDateRanges } from '../lake/catalog/date-ranges.ts';
import type { TableDefinition } from './table-spec.ts';

/** A run's scope: `all` rebuilds the table, `partitions` rebuilds the listed partitions, `new` folds new input rows in. */
export type PlanScope = 'all' | 'partitions' | 'new';

export interface InputState {
  /** `<layer>.<table>` of a table that holds files (views are expanded to the tables they read). */
  name: string;
  liveFiles: LiveFile[];
}

export interface PlanOptions {
  fullRefresh?: boolean;
  /** Inclusive date range (YYYY-MM-DD) of partitions to rebuild. */
  range?: { from: string; to: string };
}

export interface TablePlan {
  table: string;
  action: 'run' | 'up to date';
  scope: PlanScope;
  /** Why this scope, in words for `--dry-run` and the logs. */
  reason: string;
  /** Files to read per input. */
  read: Map<string, LiveFile[]>;
  /** Partitions the run rewrites (scope `partitions`). */
  partitions: string[];
}

/** Whether a table's non-empty files are partitioned other than by `partitionBy` (empty files hold columns only). */
export const layoutDiffers = (files: LiveFile[], partitionBy: string | undefined): boolean =>
  files.some((f) => f.rowCount > 0 && Object.keys(f.partitionValues ?? {})[0] !== partitionBy);

/** The partition value a file was written under (a table's partitionBy, bronze's ingest date), if any. */
export const partitionOf = (f: Pick<DataFile, 'partitionValues'>): string | undefined =>
  Object.values(f.partitionValues ?? {})[0];

/**
 * The dates a file's rows belong to for a table partitioned by date that reads it: a bronze file's observation dates
 * (it is partitioned by the day it was ingested; older lakes by the observation date, `dt`), another table's own
 * partition value. Empty when the file is not partitioned: it is read whole.
 */
export function datesHeld(f: Pick<DataFile, 'partitionValues' | 'observedDates'>): string[] {
  if (f.observedDates) return expandDateRanges(f.observedDates);
  const p = partitionOf(f);
  return p === undefined ? [] : [p];
}

const holdsAny = (f: LiveFile, dates: Set<string>) => datesHeld(f).some((d) => dates.has(d));

export interface TargetState {
  exists: boolean;
  consumed: Set<number>;
  /** The table's files are partitioned differently from its definition (partitionBy was added, changed or removed). */
  layoutChanged?: boolean;
}

export function planTable(
  table: TableDefinition,
  inputs: InputState[],
  target: TargetState,
  options: PlanOptions = {},
): TablePlan {
  const name = `${table.layer}.${table.name}`;
  const fresh = inputs.map((i) => ({ ...i, newFiles: i.liveFiles.filter((f) => !target.consumed.has(f.fileId)) }));
  const newCount = fresh.reduce((n, i) => n + i.newFiles.length, 0);
  const everything = new Map(inputs.map((i) => [i.name, i.liveFiles]));
  const plan = (
    action: TablePlan['action'],
    scope: PlanScope,
    reason: string,
    read = everything,
    partitions: string[] = [],
  ): TablePlan => ({ table: name, action, scope, reason, read, partitions });

  if (options.fullRefresh) return plan('run', 'all', 'full refresh requested');
  if (!target.exists) return plan('run', 'all', 'first run: the table has no snapshot yet');
  if (target.layoutChanged)
    return plan(
      'run',
      'all',
      `its files are not partitioned by ${table.partitionBy ?? 'nothing'} as declared: rebuilding`,
    );

  if (options.range && table.partitionBy) {
    const { from, to } = options.range;
    const partitions = [
      ...new Set(inputs.flatMap((i) => i.liveFiles.flatMap(datesHeld)).filter((d) => d >= from && d <= to)),
    ].sort();
    if (partitions.length === 0)
      return plan('up to date', 'partitions', `no input partition between ${from} and ${to}`, new Map());
    return plan(
      'run',
      'partitions',
      `backfill of ${partitions.length} partition(s) ${from} … ${to}`,
      readPartitions(inputs, new Set(partitions)),
      partitions,
    );
  }

  if (newCount === 0) return plan('up to date', 'new', 'no input file is new since the last run', new Map());
  const newFiles = `${newCount} new file(s) in ${fresh
    .filter((i) => i.newFiles.length)
    .map((i) => i.name)
    .join(', ')}`;
  if (table.writeMode === 'replace') {
    const touched = fresh.flatMap((i) => i.newFiles.map(datesHeld));
    if (!table.partitionBy || touched.some((dates) => dates.length === 0))
      return plan('run', 'all', `${newFiles}; the table is rebuilt`);
    const partitions = [...new Set(touched.flat())].sort();
    return plan(
      'run',
      'partitions',
      `${newFiles}; rebuilding ${partitions.length} partition(s)`,
      readPartitions(inputs, new Set(partitions)),
      partitions,
    );
  }
  return plan(
    'run',
    'new',
    `${newFiles}; ${table.writeMode} of their rows`,
    new Map(fresh.map((i) => [i.name, i.newFiles])),
  );
}

/**
 * Partitioned inputs are read for the given partitions only (the files holding one of their dates: a bronze view then
 * keeps only the rows observed on those dates); unpartitioned inputs are read whole.
 */
function readPartitions(inputs: InputState[], partitions: Set<string>): Map<string, LiveFile[]> {
  return new Map(
    inputs.map((i) => {
      const partitioned = i.liveFiles.some((f) => datesHeld(f).length > 0);
      return [i.name, partitioned ? i.liveFiles.filter((f) => holdsAny(f, partitions)) : i.liveFiles];
    }),
  );
}
