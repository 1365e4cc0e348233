// The bronze writer: reads a source's stream in a consumer group, writes Parquet (zstd) into the lake, commits the
// files in the catalog, and only then acknowledges the entries (DESIGN.md contract 3). A restarted writer first
// re-reads its pending entries and skips those whose stream id range is already committed.
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { BRONZE_COLUMNS, bronzePartitionPrefix } from '../core/bronze-schema.ts';
import type { DataFile, TableRef } from '../core/catalog/catalog.ts';
import { newRunId } from '../core/catalog/runs.ts';
import { DuckSession, sqlString } from '../core/duckdb.ts';
import { CommitConflictError, describeError, TransientError } from '../core/errors.ts';
import { withRetry } from '../core/retry.ts';
import type { Runtime } from '../core/runtime.ts';
import { fromStreamFields, type EventEnvelope } from '../core/streams/envelope.ts';
import { StreamPublisher } from '../core/streams/publisher.ts';
import { BRONZE_GROUP, compareStreamIds, streamKey } from '../core/streams/keys.ts';

export interface BronzeWriterOptions {
  /** This writer's name in the consumer group; a restart under the same name resumes its pending entries. */
  consumer?: string;
  maxBatchRows?: number;
  onBatch?: (result: BronzeResult) => void;
  /** Called after a batch is committed and before it is acknowledged: the crash window tests inject faults into. */
  afterCommit?: () => void | Promise<void>;
}

export interface BronzeResult {
  source: string;
  runId: string;
  status: 'succeeded' | 'failed';
  entriesRead: number;
  rowsWritten: number;
  filesWritten: number;
  /** Entries found already committed (a crash after commit, before acknowledge) and only acknowledged now. */
  skippedCommitted: number;
  /** Entries that do not carry a valid envelope: dead-lettered with the reason. */
  invalidEntries: number;
  durationMillis: number;
  error?: string;
}

type StreamEntry = [id: string, fields: string[] | null];

/** Reads the stream until it is empty, writing every batch to the lake. Returns a result, never throws. */
export async function drainSource(rt: Runtime, source: string, options: BronzeWriterOptions = {}): Promise<BronzeResult> {
  const started = Date.now();
  const runId = await rt.runs.start('bronze', source, newRunId('bronze'));
  const result: BronzeResult = { source, runId, status: 'succeeded', entriesRead: 0, rowsWritten: 0, filesWritten: 0, skippedCommitted: 0, invalidEntries: 0, durationMillis: 0 };
  const redis = rt.redis();
  const key = streamKey(rt.config.redisPrefix, source);
  const consumer = options.consumer ?? 'bronze-1';
  const maxBatchRows = options.maxBatchRows ?? rt.config.bronzeMaxBatchRows;
  const table: TableRef = { layer: 'bronze', name: source };
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'bronze', runId);
  const duck = await DuckSession.open({ tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb') });
  try {
    await ensureGroup(redis, key);
    await mkdir(tmpDir, { recursive: true });
    const committed = await rt.catalog.committedStreamRanges(table);
    // First our own pending entries (read but never acknowledged: a previous run crashed), then new ones.
    for (const phase of ['0', '>'] as const) {
      for (;;) {
        const reply = (await redis.xreadgroup('GROUP', BRONZE_GROUP, consumer, 'COUNT', maxBatchRows, 'STREAMS', key, phase)) as [string, StreamEntry[]][] | null;
        const entries = reply?.[0]?.[1] ?? [];
        if (entries.length === 0) break;
        result.entriesRead += entries.length;
        // Only re-delivered (pending) entries can already be committed: an entry read with '>' is new to the group.
        const isCommitted = (id: string) => committed.some((r) => compareStreamIds(id, r.first) >= 0 && compareStreamIds(id, r.last) <= 0);
        const fresh = phase === '0' ? entries.filter(([id]) => !isCommitted(id)) : entries;
        result.skippedCommitted += entries.length - fresh.length;
        if (fresh.length) {
          const written = await writeBatch(rt, duck, table, fresh, tmpDir, runId, result);
          if (written) committed.push(written);
          await options.afterCommit?.();
        }
        await redis.xack(key, BRONZE_GROUP, ...entries.map(([id]) => id));
        options.onBatch?.({ ...result, durationMillis: Date.now() - started });
      }
    }
  } catch (error) {
    result.status = 'failed';
    result.error = describeError(error);
  } finally {
    duck.close();
    await rm(tmpDir, { recursive: true, force: true });
  }
  result.durationMillis = Date.now() - started;
  await rt.runs.finish(runId, {
    status: result.status, rowsIn: result.entriesRead, rowsOut: result.rowsWritten, error: result.error,
    details: { filesWritten: result.filesWritten, skippedCommitted: result.skippedCommitted, invalidEntries: result.invalidEntries },
  });
  return result;
}

async function ensureGroup(redis: Redis, key: string): Promise<void> {
  try {
    await redis.xgroup('CREATE', key, BRONZE_GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw new TransientError(`cannot create consumer group on ${key}`, { cause: error });
  }
}

/**
 * Writes one batch as one Parquet file per observation date and commits them all in one snapshot, so the batch's
 * stream id range is either wholly committed or not at all. Returns the committed range.
 */
async function writeBatch(
  rt: Runtime, duck: DuckSession, table: TableRef, entries: StreamEntry[], tmpDir: string, runId: string, result: BronzeResult,
): Promise<{ first: string; last: string } | undefined> {
  const first = entries[0]![0];
  const last = entries[entries.length - 1]![0];
  const byDate = new Map<string, (EventEnvelope & { _stream_id: string })[]>();
  const invalid: { raw: string; reason: string }[] = [];
  for (const [id, fields] of entries) {
    try {
      if (!fields) throw new Error('entry has no fields');
      const envelope = fromStreamFields(fields);
      const dt = envelope.observed_at.slice(0, 10);
      if (!/^\d{4}-\d\d-\d\d$/.test(dt)) throw new Error(`observed_at "${envelope.observed_at}" is not ISO-8601`);
      const rows = byDate.get(dt) ?? [];
      if (rows.length === 0) byDate.set(dt, rows);
      rows.push({ ...envelope, _stream_id: id });
    } catch (error) {
      invalid.push({ raw: JSON.stringify({ id, fields }), reason: `invalid envelope: ${(error as Error).message}` });
    }
  }
  if (invalid.length) {
    result.invalidEntries += invalid.length;
    await new StreamPublisher(rt.redis(), rt.config.redisPrefix, rt.config.dedupRetentionDays * 86_400).deadLetter(table.name, runId, invalid);
  }
  if (byDate.size === 0) return undefined;
  const files: DataFile[] = [];
  for (const [dt, rows] of byDate) {
    const key = `${bronzePartitionPrefix(table.name, dt)}${first}_${last}.parquet`;
    const local = path.join(tmpDir, `${dt}.parquet`);
    await writeParquet(duck, rows, path.join(tmpDir, `${dt}.ndjson`), local);
    const info = await rt.store.putFile(key, local);
    const observed = rows.map((r) => r.observed_at).sort();
    files.push({
      path: key, rowCount: rows.length, bytes: info.bytes, partitionValues: { dt },
      columnStats: { observed_at: { min: observed[0], max: observed[observed.length - 1] } },
      streamFirstId: first, streamLastId: last,
    });
    await rm(local, { force: true });
  }
  await withRetry(
    async () => {
      const base = await rt.catalog.currentSnapshot(table);
      await rt.catalog.commit({ table, baseSnapshotId: base?.snapshotId ?? null, operation: 'append', add: files, runId, summary: { first, last } });
    },
    { attempts: 10, isRetryable: (e) => e instanceof CommitConflictError || e instanceof TransientError },
  );
  result.filesWritten += files.length;
  result.rowsWritten += files.reduce((n, f) => n + f.rowCount, 0);
  return { first, last };
}

/** NDJSON → DuckDB COPY → Parquet (zstd): the fastest write path measured (docs/decisions/0003-parquet-write-path.md). */
async function writeParquet(duck: DuckSession, rows: object[], ndjsonPath: string, parquetPath: string): Promise<void> {
  const out = createWriteStream(ndjsonPath);
  for (const row of rows) if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
  const columns = Object.entries(BRONZE_COLUMNS)
    .map(([name, type]) => `${name}: '${type === 'TIMESTAMPTZ' ? 'VARCHAR' : type}'`)
    .join(', ');
  const select = Object.entries(BRONZE_COLUMNS)
    .map(([name, type]) => (type === 'TIMESTAMPTZ' ? `cast(${name} as TIMESTAMPTZ) as ${name}` : name))
    .join(', ');
  await duck.run(
    `copy (select ${select} from read_json(${sqlString(ndjsonPath)}, format = 'newline_delimited', columns = {${columns}}))
       to ${sqlString(parquetPath)} (format parquet, compression zstd)`,
  );
  await stat(parquetPath);
  await rm(ndjsonPath, { force: true });
}
