// Exposes lake tables to DuckDB as views over the files of one snapshot: what jobs read and what `pnpm sql` shows.
import { BRONZE_COLUMNS } from './bronze-schema.ts';
import { qualifiedName, type LiveFile, type Snapshot, type TableRef } from './catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import type { Runtime } from './runtime.ts';

export interface AttachedTable {
  ref: TableRef;
  snapshotId: number | null;
  rowCount: number;
}

export const viewName = (ref: TableRef) => `${sqlIdent(ref.layer)}.${sqlIdent(ref.name)}`;

/** Creates `<layer>.<name>` in DuckDB over the table's current snapshot (bronze with no files yet is an empty view). */
export async function attachTable(
  rt: Runtime,
  duck: DuckSession,
  ref: TableRef,
  snapshot?: Snapshot,
): Promise<AttachedTable> {
  const current = snapshot ?? (await rt.catalog.currentSnapshot(ref));
  if (!current && ref.layer !== 'bronze') {
    throw new TerminalError(`${qualifiedName(ref)} has no snapshot yet; run \`pnpm job:${ref.layer}\` first`, {
      context: { table: qualifiedName(ref) },
    });
  }
  const files = current?.files ?? [];
  await attachFiles(rt, duck, ref, files, files);
  return { ref, snapshotId: current?.snapshotId ?? null, rowCount: files.reduce((n, f) => n + f.rowCount, 0) };
}

/**
 * Creates `<layer>.<name>` over some of a table's files (an incremental run's new files), optionally keeping only the
 * rows a SQL condition accepts. With no files, the view is empty but keeps the table's columns, taken from any of its
 * files (bronze: the envelope's columns).
 */
export async function attachFiles(
  rt: Runtime,
  duck: DuckSession,
  ref: TableRef,
  files: LiveFile[],
  allFiles: LiveFile[],
  where?: string,
): Promise<void> {
  await duck.run(`create schema if not exists ${sqlIdent(ref.layer)}`);
  const view = viewName(ref);
  if (allFiles.length === 0) {
    if (ref.layer !== 'bronze')
      throw new TerminalError(
        `${qualifiedName(ref)} has no files to take its columns from; run \`pnpm job:${ref.layer} --full-refresh --select ${ref.name}\``,
      );
    const columns = Object.entries(BRONZE_COLUMNS)
      .map(([name, type]) => `cast(null as ${type}) as ${name}`)
      .join(', ');
    await duck.run(`create or replace view ${view} as select ${columns} where false`);
    return;
  }
  const chosen = files.length ? files : allFiles.slice(0, 1);
  // Partition values come from the catalog, never from folder names (hive_partitioning off): a path is only a path.
  const paths = await Promise.all(chosen.map((f) => rt.store.localPath(f.path)));
  const condition = files.length ? where : 'false';
  await duck.run(
    `create or replace view ${view} as select * from read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)${condition ? ` where ${condition}` : ''}`,
  );
}
