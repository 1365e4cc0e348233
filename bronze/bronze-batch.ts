// One batch of stream entries into bronze (DESIGN.md contract 3): one zstd Parquet file under a deterministic name,
// uploaded, committed in the catalog if this writer still owns the entries (the table's fence), then the invalid ones
// dead-lettered, and only then acknowledged and trimmed out of Redis.
import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { DuckSession } from '../core/duckdb.ts';
import { FencedError, TransientError } from '../core/errors.ts';
import { withRetry } from '../core/retry.ts';
import {
  bronzePartitionPrefix,
  deadLetterTable,
  INGEST_PARTITION,
  ingestDateOf,
  ingestDayOf,
} from '../lake/bronze-schema.ts';
import type { DataFile, TableRef } from '../lake/catalog/catalog.ts';
import type { Runtime } from '../lake/runtime.ts';
import { BRONZE_GROUP, deadLetterKey, streamKey } from '../streams/keys.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { acknowledgeAndTrim } from '../streams/trim.ts';
import { writeBatchFile, type NdjsonScratch, type StreamKind } from './batch-files.ts';
import type { BronzeResult, BronzeStage } from './bronze-result.ts';
import type { StreamEntry, StreamReader } from './stream-reader.ts';

/** One stream the writer drains, and the bronze table its entries go to. */
export interface BronzeStream {
  kind: StreamKind;
  source: string;
  key: string;
  table: TableRef;
}

export interface ReadBatch {
  fenceEpoch: number;
  entries: StreamEntry[];
}

export const NOTHING_READ: ReadBatch = { fenceEpoch: 0, entries: [] };

/** A source's two streams: its events, then its dead letters, each with the bronze table its entries go to. */
export function streamsOf(prefix: string, source: string): BronzeStream[] {
  return [
    { kind: 'events', source, key: streamKey(prefix, source), table: { layer: 'bronze', name: source } },
    {
      kind: 'dead-letters',
      source,
      key: deadLetterKey(prefix, source),
      table: { layer: 'bronze', name: deadLetterTable(source) },
    },
  ];
}

/** Deterministic object name of a batch's file: the stream id range names the batch, its first id's day the folder. */
const bronzeObjectKey = (table: string, ingestDate: string, first: string, last: string) =>
  `${bronzePartitionPrefix(table, ingestDate)}${first}_${last}.parquet`;

/** Splits entries by the UTC day they were received (a batch is one file in one day's folder), keeping their order. */
export function byIngestDay(entries: StreamEntry[]): StreamEntry[][] {
  const groups = new Map<number, StreamEntry[]>();
  for (const e of entries) {
    const day = ingestDayOf(e.id);
    const group = groups.get(day);
    if (group) group.push(e);
    else groups.set(day, [e]);
  }
  return [...groups.values()];
}

const removeLocal = (base: string) =>
  Promise.all([rm(`${base}.ndjson`, { force: true }), rm(`${base}.parquet`, { force: true })]);

/** One drain of one stream: its writer's means, where its batches go and what it counts. */
export interface StreamDrain {
  rt: Runtime;
  duck: DuckSession;
  scratch: NdjsonScratch;
  reader: StreamReader;
  stream: BronzeStream;
  /** A local scratch folder for the drain's files, removed by the writer. */
  tmpDir: string;
  runId: string;
  result: BronzeResult;
  /** Tells collectors this writer is alive (they wait for it rather than drain the stream themselves). */
  beat(): Promise<void>;
  /** A crash point (bronze-before-upload, -after-upload, -after-commit, -after-ack); tests throw or wait here. */
  crashPoint(name: string): Promise<void>;
}

/** One Parquet file → upload → ownership check → one catalog commit → dead letters → acknowledge → trim. */
export async function writeBatch(
  drain: StreamDrain,
  entries: StreamEntry[],
  fenceEpoch: number,
): Promise<'committed' | 'abandoned'> {
  const { reader, stream, tmpDir, runId, result } = drain;
  const { table } = stream;
  const first = entries[0]!.id;
  const last = entries[entries.length - 1]!.id;
  const local = path.join(tmpDir, `${first}_${last}`);
  const { file: part, invalid } = await writeBatchFile(drain.duck, drain.scratch, stream.kind, entries, local);
  await drain.crashPoint('bronze-before-upload');
  const files: DataFile[] = [];
  const timings = result.timings;
  let mark = performance.now();
  const lap = (stage: BronzeStage) => {
    const now = performance.now();
    timings[stage] += now - mark;
    mark = now;
  };
  if (part) {
    timings.ndjson += part.ndjsonMillis;
    timings.copy += part.copyMillis;
    const day = ingestDateOf(first);
    const key = bronzeObjectKey(table.name, day, first, last);
    const info = await drain.rt.store.putFile(key, part.localPath);
    lap('upload');
    files.push({
      path: key,
      rowCount: part.rowCount,
      bytes: info.bytes,
      partitionValues: { [INGEST_PARTITION]: day },
      ...(part.observed
        ? {
            columnStats: { observed_at: { min: part.observed.min, max: part.observed.max } },
            observedDates: part.observed.dates,
          }
        : {}),
      streamFirstId: first,
      streamLastId: last,
    });
  }
  await drain.crashPoint('bronze-after-upload');
  try {
    await withRetry(
      () =>
        drain.rt.catalog.commit({
          table,
          baseSnapshotId: null,
          operation: 'append',
          add: files,
          runId,
          fenceEpoch,
          summary: { first, last, consumer: reader.consumer },
        }),
      { attempts: 10, isRetryable: (e) => e instanceof TransientError },
    );
  } catch (error) {
    if (!(error instanceof FencedError)) throw error;
    // Another writer took these entries over and writes them itself; committing them too would duplicate them.
    result.abandonedBatches++;
    await removeLocal(local);
    return 'abandoned';
  }
  lap('commit');
  await drain.crashPoint('bronze-after-commit');
  if (invalid.length) {
    result.rowsRejected += invalid.length;
    await StreamPublisher.fromConfig(drain.rt.redis(), drain.rt.config).deadLetter(
      table.name,
      runId,
      invalid.map((i) => ({ raw: i.raw, reason: `${i.reason} (stream entry ${i.id})`, key: `bronze:${i.id}` })),
    );
  }
  // One step: what every group has acknowledged leaves Redis with this batch.
  mark = performance.now();
  result.trimmed += await acknowledgeAndTrim(
    drain.rt.redis(),
    stream.key,
    BRONZE_GROUP,
    entries.map((e) => e.id),
  );
  lap('ackTrim');
  await drain.crashPoint('bronze-after-ack');
  result.batches++;
  result.filesWritten += files.length;
  if (stream.kind === 'events') result.rowsOut += part?.rowCount ?? 0;
  else result.deadLettersWritten += part?.rowCount ?? 0;
  await removeLocal(local);
  return 'committed';
}
