// Writes a query's rows into a table's folder in the lake: one zstd Parquet file per partition (or one file), each
// returned as a catalog entry with its row count and per-column min/max read from the Parquet footers.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DataFile, TableRef } from '../lake/catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import type { Runtime } from '../lake/runtime.ts';
import { Stopwatch } from '../core/stopwatch.ts';
import { TerminalError } from '../core/errors.ts';

/** Hive's folder name for a null partition value. */
const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

export interface WriteOptions {
  partitionBy?: string;
  /** A local scratch folder, removed by the caller. */
  tmpDir: string;
  /** Names the files, so a run's files are recognisable in the lake. */
  runId: string;
  /** DuckDB's estimate of the write's progress, in %, every few seconds. */
  onProgress?: (percent: number) => void;
  /** Times the copy ("writing"), the footers' statistics ("statistics") and the upload ("upload"). */
  stopwatch?: Stopwatch;
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
  const watch = options.stopwatch ?? new Stopwatch();
  const locals = await watch.time('writing', () => copyRows(duck, sql, out, options));
  const stats = await watch.time('statistics', () =>
    footerStats(
      duck,
      locals.map((l) => l.local),
    ),
  );
  return watch.time('upload', () => upload(rt, ref, locals, stats, options));
}

/** A local file and its partition value (null: the empty file of a partitioned table with no rows). */
type Local = { local: string; partition?: string | null };

/** Partition values name folders in the lake: only a DATE column may give them (DESIGN.md contract 6). */
async function checkPartitionType(duck: DuckSession, sql: string, partitionBy: string): Promise<void> {
  const columns = await duck.all(`describe select * from (${sql})`);
  const type = columns.find((c) => c.column_name === partitionBy)?.column_type;
  if (type !== 'DATE')
    throw new TerminalError(
      `partitionBy "${partitionBy}" must be a DATE column, and the SQL gives ${type === undefined ? 'no such column' : `a ${String(type)}`}; cast it (e.g. cast(${partitionBy} as date)) or partition by a date`,
    );
}

/** A partition value as read back from DuckDB's folder name: a date, or the write is refused. */
function partitionValue(folder: string): string {
  const value = decodeURIComponent(folder.slice(folder.indexOf('=') + 1));
  if (!/^\d{4}-\d\d-\d\d$/.test(value))
    throw new TerminalError(`partition value ${JSON.stringify(value.slice(0, 80))} is not a date (YYYY-MM-DD)`);
  return value;
}

/** Copies the rows to local Parquet files under `out`, one folder per partition when the table has partitions. */
async function copyRows(duck: DuckSession, sql: string, out: string, options: WriteOptions): Promise<Local[]> {
  const { partitionBy } = options;
  if (partitionBy) {
    await checkPartitionType(duck, sql, partitionBy);
    await duck.run(
      `copy (${sql}) to ${sqlString(out)} (format parquet, compression zstd, partition_by (${sqlIdent(partitionBy)}), write_partition_columns true, filename_pattern 'part_{i}')`,
      options.onProgress && { onProgress: options.onProgress },
    );
    const locals = await partitionFiles(out);
    if (locals.length) return locals;
    // No rows: an empty file keeps the table's columns for its readers, in Hive's folder for a null partition value
    // (a file beside the partition folders breaks readers that expect hive partitioning).
    await duck.run(
      `copy (select * from (${sql}) limit 0) to ${sqlString(`${out}.parquet`)} (format parquet, compression zstd)`,
    );
    return [{ local: `${out}.parquet`, partition: null }];
  }
  await duck.run(
    `copy (${sql}) to ${sqlString(`${out}.parquet`)} (format parquet, compression zstd)`,
    options.onProgress && { onProgress: options.onProgress },
  );
  return [{ local: `${out}.parquet` }];
}

async function upload(
  rt: Runtime,
  ref: TableRef,
  locals: Local[],
  stats: Awaited<ReturnType<typeof footerStats>>,
  { partitionBy, runId }: WriteOptions,
): Promise<DataFile[]> {
  const files: DataFile[] = [];
  for (const [i, { local, partition }] of locals.entries()) {
    const folder =
      partition === undefined
        ? `${ref.layer}/${ref.name}`
        : `${ref.layer}/${ref.name}/${partitionBy}=${partition ?? HIVE_NULL}`;
    const key = `${folder}/${runId}${locals.length > 1 ? `-${i}` : ''}.parquet`;
    const info = await rt.store.putFile(key, local);
    const s = stats.get(local)!;
    files.push({
      path: key,
      rowCount: s.rows,
      bytes: info.bytes,
      columnStats: s.columns,
      ...(partition === undefined || partition === null ? {} : { partitionValues: { [partitionBy!]: partition } }),
    });
  }
  return files;
}

async function partitionFiles(dir: string): Promise<{ local: string; partition: string }[]> {
  const found: { local: string; partition: string }[] = [];
  const folders = await readdir(dir).catch(() => [] as string[]);
  for (const folder of folders.sort()) {
    const partition = partitionValue(folder);
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
            -- Text (BYTE_ARRAY) compares as text, even where it reads as a number ("1.0" is not a number there).
            coalesce(min(try_cast(stats_min_value as double)) filter (where type <> 'BYTE_ARRAY')::varchar, min(stats_min_value)) as lo,
            coalesce(max(try_cast(stats_max_value as double)) filter (where type <> 'BYTE_ARRAY')::varchar, max(stats_max_value)) as hi
       from parquet_metadata(${list}) where not contains(path_in_schema, '.') group by all`,
  );
  for (const s of stats) {
    // Ciphertext has no order worth pruning by, and the catalog would keep it past a rekey: not recorded.
    if ([s.lo, s.hi].some((v) => typeof v === 'string' && v.startsWith('enc:'))) continue;
    result.get(String(s.file_name))!.columns[String(s.col)] = { min: s.lo, max: s.hi };
  }
  return result;
}
