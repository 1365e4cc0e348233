// Compaction: merges a table's small files into one file per partition, as a new snapshot that changes no row.
// Readers of older snapshots keep their files until vacuum removes them past the retention.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { qualifiedName, type LiveFile, type TableRef } from './catalog/catalog.ts';
import { mergeDateRanges, type DateRange } from './catalog/date-ranges.ts';
import { newRunId } from './catalog/runs.ts';
import { sqlString, withDuck } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import type { Runtime } from './runtime.ts';
import { compareStreamIds } from '../streams/keys.ts';

export interface CompactOptions {
  /** Files smaller than this are merged (default 128 MiB). */
  targetBytes?: number;
  /** A partition's small files are merged only when there are at least this many (default 2). */
  minFiles?: number;
  /**
   * Merge only files every reader of the table has consumed (readers: the tables that ever consumed one of its files),
   * so an incremental run reading the others meanwhile is never refused: what background compaction does while jobs
   * may run. Off, files are merged by the set of readers that consumed them (what `pnpm lake:compact` does).
   */
  settledOnly?: boolean;
  /**
   * Leave the files of the table's latest write (its last snapshot that was not a compaction) as they are: a window
   * table rewrites its open windows' file at every write, and merging it would fold closed windows into it.
   */
  keepLatestWrite?: boolean;
  dryRun?: boolean;
}

export interface CompactResult {
  table: string;
  partitionsCompacted: number;
  filesBefore: number;
  filesAfter: number;
  rows: number;
  snapshotId?: number;
}

/** Statistics compare as numbers when both are numbers (9 < 10), else as text (ISO dates and times sort as text). */
const byValue = (a: string, b: string) => {
  const [x, y] = [Number(a), Number(b)];
  return a.trim() !== '' && b.trim() !== '' && Number.isFinite(x) && Number.isFinite(y)
    ? x - y
    : a < b
      ? -1
      : a > b
        ? 1
        : 0;
};

const partitionKey = (f: LiveFile) => JSON.stringify(f.partitionValues ?? {});

/**
 * Which tables have consumed each file. Only files consumed by the same tables are merged: a merged file then counts
 * as consumed by exactly those (catalog.commit), so no incremental reader reads a row twice or misses one.
 */
async function consumersOf(rt: Runtime, files: LiveFile[]): Promise<Map<number, string>> {
  const { rows } = await rt.pool.query<{ file_id: string; consumers: string }>(
    `select file_id, string_agg(table_id::text, ',' order by table_id) as consumers from strata_catalog.consumed where file_id = any($1) group by file_id`,
    [files.map((f) => f.fileId)],
  );
  return new Map(rows.map((r) => [Number(r.file_id), r.consumers]));
}

/** The tables that ever consumed a file of `table`, as consumersOf spells a set ("3,7"), "" when none has. */
async function readersOf(rt: Runtime, table: TableRef): Promise<string> {
  const { rows } = await rt.pool.query<{ readers: string | null }>(
    `select string_agg(table_id::text, ',' order by table_id) as readers from (
       select distinct c.table_id from strata_catalog.consumed c join strata_catalog.files f using (file_id)
         join strata_catalog.tables t on t.table_id = f.table_id
        where t.layer = $1 and t.name = $2) as r`,
    [table.layer, table.name],
  );
  return rows[0]?.readers ?? '';
}

/** The table's last snapshot that was not a compaction. */
async function latestWriteOf(rt: Runtime, table: TableRef): Promise<number | undefined> {
  const { rows } = await rt.pool.query<{ id: string | null }>(
    `select max(s.snapshot_id) as id from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
      where t.layer = $1 and t.name = $2 and s.operation not in ('compact', 'rekey')`,
    [table.layer, table.name],
  );
  return rows[0]?.id == null ? undefined : Number(rows[0].id);
}

export async function compactTable(rt: Runtime, table: TableRef, options: CompactOptions = {}): Promise<CompactResult> {
  const targetBytes = options.targetBytes ?? 128 * 1024 * 1024;
  const snapshot = await rt.catalog.currentSnapshot(table);
  const result: CompactResult = {
    table: qualifiedName(table),
    partitionsCompacted: 0,
    filesBefore: snapshot?.files.length ?? 0,
    filesAfter: snapshot?.files.length ?? 0,
    rows: 0,
  };
  if (!snapshot) return result;
  const groups = new Map<string, LiveFile[]>();
  const consumers = await consumersOf(rt, snapshot.files);
  const everyReader = options.settledOnly ? await readersOf(rt, table) : undefined;
  const latestWrite = options.keepLatestWrite ? await latestWriteOf(rt, table) : undefined;
  const small = snapshot.files.filter(
    (f) =>
      f.bytes < targetBytes &&
      f.addedSnapshotId !== latestWrite &&
      (everyReader === undefined || (consumers.get(f.fileId) ?? '') === everyReader),
  );
  for (const f of small) {
    const key = `${partitionKey(f)}|${consumers.get(f.fileId) ?? ''}`;
    const group = groups.get(key) ?? [];
    if (group.length === 0) groups.set(key, group);
    group.push(f);
  }
  const merges = [...groups.values()].filter((g) => g.length >= Math.max(2, options.minFiles ?? 2));
  result.partitionsCompacted = merges.length;
  result.filesAfter = result.filesBefore - merges.reduce((n, g) => n + g.length - 1, 0);
  if (options.dryRun || merges.length === 0) return result;

  const runId = newRunId('compact');
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'compact', runId);
  await mkdir(tmpDir, { recursive: true });
  try {
    const added = await withDuck(async (duck) => {
      const out = [];
      for (const [i, files] of merges.entries()) {
        const inputs = await Promise.all(files.map((f) => rt.store.localPath(f.path)));
        const local = path.join(tmpDir, `${i}.parquet`);
        const source = `read_parquet([${inputs.map(sqlString).join(', ')}], hive_partitioning = false)`;
        const order = files.every((f) => f.streamFirstId) ? ' order by _stream_id' : '';
        await duck.run(
          `copy (select * from ${source}${order}) to ${sqlString(local)} (format parquet, compression zstd)`,
        );
        const expected = files.reduce((n, f) => n + f.rowCount, 0);
        const written = Number(
          await duck.scalar(`select count(*) from read_parquet(${sqlString(local)}, hive_partitioning = false)`),
        );
        if (written !== expected)
          throw new TerminalError(
            `${qualifiedName(table)}: compaction wrote ${written} rows for ${expected}; nothing committed`,
          );
        const firsts = files
          .map((f) => f.streamFirstId)
          .filter((x): x is string => !!x)
          .sort(compareStreamIds);
        const lasts = files
          .map((f) => f.streamLastId)
          .filter((x): x is string => !!x)
          .sort(compareStreamIds);
        const folder = path.posix.dirname(files[0]!.path);
        const key = `${folder}/compacted-${runId}-${i}.parquet`;
        const info = await rt.store.putFile(key, local);
        const stats = Object.fromEntries(
          Object.keys(files[0]!.columnStats ?? {}).map((c) => {
            const mins = files
              .map((f) => f.columnStats?.[c]?.min)
              .filter((v) => v != null)
              .map(String)
              .sort(byValue);
            const maxs = files
              .map((f) => f.columnStats?.[c]?.max)
              .filter((v) => v != null)
              .map(String)
              .sort(byValue);
            return [c, { min: mins[0], max: maxs[maxs.length - 1] }];
          }),
        );
        const observed = files.map((f) => f.observedDates);
        out.push({
          path: key,
          rowCount: written,
          bytes: info.bytes,
          partitionValues: files[0]!.partitionValues,
          columnStats: stats,
          streamFirstId: firsts[0],
          streamLastId: lasts[lasts.length - 1],
          compactedFrom: files.map((f) => f.fileId),
          ...(observed.every(Boolean) ? { observedDates: mergeDateRanges(...(observed as DateRange[][])) } : {}),
        });
        result.rows += written;
      }
      return out;
    });
    result.snapshotId = await rt.catalog.commit({
      table,
      baseSnapshotId: snapshot.snapshotId,
      operation: 'compact',
      remove: merges.flat().map((f) => f.fileId),
      add: added,
      runId,
      summary: { merged: merges.flat().length, into: added.length },
    });
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  return result;
}
