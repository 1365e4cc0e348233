// Exposes lake tables to DuckDB as views over the files of one snapshot: what jobs read and what `pnpm sql` shows.
import { BRONZE_COLUMNS } from '../bronze-schema.ts';
import { qualifiedName, type Snapshot, type TableRef } from '../catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../duckdb.ts';
import { TerminalError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';

export interface AttachedTable {
  ref: TableRef;
  snapshotId: number | null;
  rowCount: number;
}

/** Creates `<layer>.<name>` in DuckDB over the table's current snapshot (bronze with no files yet is an empty view). */
export async function attachTable(rt: Runtime, duck: DuckSession, ref: TableRef, snapshot?: Snapshot): Promise<AttachedTable> {
  const current = snapshot ?? (await rt.catalog.currentSnapshot(ref));
  const view = `${sqlIdent(ref.layer)}.${sqlIdent(ref.name)}`;
  await duck.run(`create schema if not exists ${sqlIdent(ref.layer)}`);
  if (!current || current.files.length === 0) {
    if (ref.layer !== 'bronze' && !current) {
      throw new TerminalError(`${qualifiedName(ref)} has no snapshot yet; run \`pnpm job:${ref.layer}\` first`, { context: { table: qualifiedName(ref) } });
    }
    if (ref.layer === 'bronze') {
      const columns = Object.entries(BRONZE_COLUMNS).map(([name, type]) => `cast(null as ${type}) as ${name}`).join(', ');
      await duck.run(`create or replace view ${view} as select ${columns} where false`);
      return { ref, snapshotId: current?.snapshotId ?? null, rowCount: 0 };
    }
  }
  const paths = await Promise.all(current!.files.map((f) => rt.store.localPath(f.path)));
  await duck.run(`create or replace view ${view} as select * from read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true)`);
  return { ref, snapshotId: current!.snapshotId, rowCount: current!.files.reduce((n, f) => n + f.rowCount, 0) };
}
