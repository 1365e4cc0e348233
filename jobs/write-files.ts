// Writes a query's rows into a table's folder in the lake: one zstd Parquet file per partition (or one file), each
// returned as a catalog entry with its row count and per-column min/max read from the Parquet footers.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DataFile, TableRef } from '../lake/catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import type { Runtime } from '../lake/runtime.ts';

export interface WriteOptions {
  partitionBy?: string;
  /** A local scratch folder, removed by the caller. */
  tmpDir: string;
  /** Names the files, so a run's files are recognisable in the lake. */
  runId: string;
  /** DuckDB's estimate of the write's progress, in %, every few seconds. */
  onProgress?: (percent: number) => void;
}

/** Writes `select …` to the lake; a query with no rows still yields one (empty) file, so the table keeps its columns. */
export async function writeRows(
  rt: Runtime,
  duck: DuckSession,
  ref: TableRef,
  sql: string,
  options: WriteOptions,
): Promise<DataFile[]> {
  const out = path.join(options.tmpDir, `${ref.name}-${Math.random().toString(36).slice(2, 8)}`);
  const { partitionBy } = options;
  let locals: { local: string; partition?: string }[];
  if (partitionBy) {
    await duck.run(
      `copy (${sql}) to ${sqlString(out)} (format parquet, compression zstd, partition_by (${sqlIdent(partitionBy)}), write_partition_columns true, filename_pattern 'part_{i}')`,
      options.onProgress && { onProgress: options.onProgress },
    );
    locals = await partitionFiles(out);
    if (locals.length === 0) {
      // No rows: an empty file outside any partition keeps the table's columns for its readers.
      const local = `${out}.parquet`;
      await duck.run(`copy (select * from (${sql}) limit 0) to ${sqlString(local)} (format parquet, compression zstd)`);
      locals = [{ local }];
    }
  } else {
    const local = `${out}.parquet`;
    await duck.run(
      `copy (${sql}) to ${sqlString(local)} (format parquet, compression zstd)`,
      options.onProgress && { onProgress: options.onProgress },
    );
    locals = [{ local }];
  }
  const stats = await footerStats(
    duck,
    locals.map((l) => l.local),
  );
  const files: DataFile[] = [];
  for (const [i, { local, partition }] of locals.entries()) {
    const folder =
      partition === undefined ? `${ref.layer}/${ref.name}` : `${ref.layer}/${ref.name}/${partitionBy}=${partition}`;
    const key = `${folder}/${options.runId}${locals.length > 1 ? `-${i}` : ''}.parquet`;
    const info = await rt.store.putFile(key, local);
    const s = stats.get(local)!;
    files.push({
      path: key,
      rowCount: s.rows,
      bytes: info.bytes,
      columnStats: s.columns,
      ...(partition === undefined ? {} : { partitionValues: { [partitionBy!]: partition } }),
    });
  }
  return files;
}

async function partitionFiles(dir: string): Promise<{ local: string; partition: string }[]> {
  const found: { local: string; partition: string }[] = [];
  const folders = await readdir(dir).catch(() => [] as string[]);
  for (const folder of folders.sort()) {
    const partition = decodeURIComponent(folder.slice(folder.indexOf('=') + 1));
    for (const file of (await readdir(path.join(dir, folder))).sort())
      found.push({ local: path.join(dir, folder, file), partition });
  }
  return found;
}

/** Row counts and min/max per top-level column from the files' footers (no data pages are read). */
async function footerStats(duck: DuckSession, locals: string[]) {
  const list = `[${locals.map(sqlString).join(', ')}]`;
  const rows = await duck.all(`select file_name, num_rows from parquet_file_metadata(${list})`);
  const result = new Map(
    rows.map((r) => [
      String(r.file_name),
      { rows: Number(r.num_rows), columns: {} as NonNullable<DataFile['columnStats']> },
    ]),
  );
  const stats = await duck.all(
    `select file_name, path_in_schema as col, 
            -- Numbers compare as numbers across row groups; dates and times compare correctly as ISO text.
            coalesce(min(try_cast(stats_min_value as double))::varchar, min(stats_min_value)) as lo,
            coalesce(max(try_cast(stats_max_value as double))::varchar, max(stats_max_value)) as hi
       from parquet_metadata(${list}) where not contains(path_in_schema, '.') group by all`,
  );
  for (const s of stats) result.get(String(s.file_name))!.columns[String(s.col)] = { min: s.lo, max: s.hi };
  return result;
}
