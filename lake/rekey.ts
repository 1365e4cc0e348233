// `pnpm lake:rekey`: rewrites every live file holding a value encrypted under an older key than the newest of
// STRATA_ENCRYPTION_KEYS, as a new snapshot with the same rows (like a compaction), then reloads the gold tables it
// changed into PostgreSQL. Replaced files stay readable until `pnpm lake:vacuum` deletes them (docs/security.md).
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { qualifiedName, type DataFile, type LiveFile, type TableRef } from './catalog/catalog.ts';
import { newRunId } from './catalog/runs.ts';
import type { DuckSession } from '../core/duckdb.ts';
import { sqlIdent, sqlString } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import type { KeyRing } from '../core/sensitive.ts';
import type { Runtime } from './runtime.ts';

export interface RekeyTableResult {
  table: string;
  filesChecked: number;
  filesRewritten: number;
  rows: number;
  snapshotId?: number;
}

export interface RekeyOptions {
  dryRun?: boolean;
  /** Told after each table. */
  onTable?: (result: RekeyTableResult) => void;
}

/** Text columns of a Parquet file: where encrypted values can be. */
async function textColumns(duck: DuckSession, file: string): Promise<string[]> {
  const rows = await duck.all(`describe select * from read_parquet(${sqlString(file)}, hive_partitioning = false)`);
  return rows.filter((r) => String(r.column_type) === 'VARCHAR').map((r) => String(r.column_name));
}

/** The text columns of a file that hold a value under an older key (they are the ones to rewrite). */
async function staleColumns(duck: DuckSession, file: string, ring: KeyRing): Promise<string[]> {
  const columns = await textColumns(duck, file);
  if (columns.length === 0) return [];
  const older = ring.ids.filter((id) => id !== ring.newest);
  if (older.length === 0) return [];
  const pattern = sqlString(`enc:(${older.join('|')}):`);
  const row = (
    await duck.all(
      `select ${columns.map((c, i) => `count(*) filter (where regexp_matches(${sqlIdent(c)}, ${pattern})) as c${i}`).join(', ')}
         from read_parquet(${sqlString(file)}, hive_partitioning = false)`,
    )
  )[0]!;
  return columns.filter((_, i) => Number(row[`c${i}`]) > 0);
}

/** Rekeys one table's current snapshot; the session must define strata_rekey (core/sensitive-sql.ts). */
export async function rekeyTable(
  rt: Runtime,
  duck: DuckSession,
  ring: KeyRing,
  table: TableRef,
  options: RekeyOptions = {},
): Promise<RekeyTableResult> {
  const snapshot = await rt.catalog.currentSnapshot(table);
  const result: RekeyTableResult = {
    table: qualifiedName(table),
    filesChecked: snapshot?.files.length ?? 0,
    filesRewritten: 0,
    rows: 0,
  };
  if (!snapshot?.files.length) return result;
  const stale: { file: LiveFile; local: string; columns: string[] }[] = [];
  for (const file of snapshot.files) {
    const local = await rt.store.localPath(file.path);
    const columns = await staleColumns(duck, local, ring);
    if (columns.length) stale.push({ file, local, columns });
  }
  result.filesRewritten = stale.length;
  result.rows = stale.reduce((n, s) => n + s.file.rowCount, 0);
  if (options.dryRun || stale.length === 0) return result;

  const runId = newRunId('rekey');
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'rekey', runId);
  await mkdir(tmpDir, { recursive: true });
  try {
    const added: DataFile[] = [];
    for (const [i, { file, local, columns }] of stale.entries()) {
      const out = path.join(tmpDir, `${i}.parquet`);
      const replaced = columns.map((c) => `strata_rekey(${sqlIdent(c)}) as ${sqlIdent(c)}`).join(', ');
      await duck.run(
        `copy (select * replace (${replaced}) from read_parquet(${sqlString(local)}, hive_partitioning = false))
           to ${sqlString(out)} (format parquet, compression zstd)`,
      );
      const written = Number(
        await duck.scalar(`select count(*) from read_parquet(${sqlString(out)}, hive_partitioning = false)`),
      );
      if (written !== file.rowCount)
        throw new TerminalError(`${result.table}: rekeying ${file.path} wrote ${written} rows for ${file.rowCount}`);
      const key = `${path.posix.dirname(file.path)}/rekeyed-${runId}-${i}.parquet`;
      const info = await rt.store.putFile(key, out);
      // The statistics of rewritten columns described the old ciphertext: dropped rather than left wrong.
      const stats = Object.fromEntries(
        Object.entries(file.columnStats ?? {}).filter(([column]) => !columns.includes(column)),
      );
      added.push({
        path: key,
        rowCount: written,
        bytes: info.bytes,
        partitionValues: file.partitionValues,
        columnStats: stats,
        streamFirstId: file.streamFirstId,
        streamLastId: file.streamLastId,
        observedDates: file.observedDates,
        // Readers that consumed the old file have consumed this one (catalog.commit carries it over).
        compactedFrom: [file.fileId],
      });
    }
    result.snapshotId = await rt.catalog.commit({
      table,
      baseSnapshotId: snapshot.snapshotId,
      operation: 'rekey',
      remove: stale.map((s) => s.file.fileId),
      add: added,
      runId,
      summary: { rekeyedTo: ring.newest, files: added.length },
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return result;
}
