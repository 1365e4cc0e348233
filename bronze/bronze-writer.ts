// The bronze writer (DESIGN.md contract 3): reads a source's stream in the `bronze` consumer group, writes each batch
// as zstd Parquet per observation date under deterministic names, commits the files in the catalog in one snapshot,
// and only then acknowledges. On start it first settles entries re-delivered to it (its own pending ones and ones
// claimed from dead writers): those already in a committed file are only acknowledged.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { DataFile, TableRef } from '../core/catalog/catalog.ts';
import { newRunId } from '../core/catalog/runs.ts';
import { DuckSession } from '../core/duckdb.ts';
import { describeError, FencedError, TransientError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import { withRetry } from '../core/retry.ts';
import type { Runtime } from '../core/runtime.ts';
import { streamKey } from '../core/streams/keys.ts';
import { StreamPublisher } from '../core/streams/publisher.ts';
import { bronzePartitionPrefix } from '../core/bronze-schema.ts';
import { writeBatchFiles } from './batch-files.ts';
import { committedIds } from './recovery.ts';
import { StreamReader, type StreamEntry, type StreamReaderOptions } from './stream-reader.ts';

export interface BronzeWriterOptions extends Partial<StreamReaderOptions> {
  /** This writer's name in the consumer group; a restart under the same name settles its own pending entries first. */
  consumer?: string;
  onBatch?: (result: BronzeResult) => void;
  /** Called at each crash point (bronze-before-upload, bronze-after-upload, bronze-after-commit); tests throw or wait here. */
  onFailpoint?: (name: string) => void | Promise<void>;
  /** Asked after each batch: true ends the drain (the batch read ahead is written first), e.g. on SIGTERM under steady load. */
  shouldStop?: () => boolean;
  /** Record each drain that read something as a run (default true); `pnpm stream` drains every second and reports in its own run. */
  recordRuns?: boolean;
}

export interface BronzeResult {
  source: string;
  runId: string;
  status: 'succeeded' | 'failed';
  entriesRead: number;
  rowsWritten: number;
  filesWritten: number;
  batches: number;
  /** Re-delivered entries found in committed files (a crash between commit and acknowledge): acknowledged only. */
  skippedCommitted: number;
  /** Entries claimed from writers idle past the claim threshold. */
  claimed: number;
  /** Entries that are not valid envelopes: dead-lettered with the reason. */
  invalidEntries: number;
  /** Batches given up before commit because another writer claimed them meanwhile (they write them instead). */
  abandonedBatches: number;
  durationMillis: number;
  error?: string;
}

/** Deterministic object name of one date's file of a batch: the stream id range names the batch. */
export const bronzeObjectKey = (source: string, dt: string, first: string, last: string) => `${bronzePartitionPrefix(source, dt)}${first}_${last}.parquet`;

export class BronzeWriter {
  private readonly blocking: Redis;
  private readonly duck: Promise<DuckSession>;

  constructor(
    private readonly rt: Runtime,
    private readonly options: BronzeWriterOptions = {},
  ) {
    this.blocking = rt.redis().duplicate();
    // One DuckDB thread: its COPY of a batch fits inside the read of the next batch, and the other core stays with
    // Node's main thread and Redis, which are the bottleneck (docs/decisions/0003-parquet-write-path.md).
    this.duck = DuckSession.open({ tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb'), threads: rt.config.bronze.duckdbThreads });
  }

  private readerFor(source: string): StreamReader {
    const b = this.rt.config.bronze;
    return new StreamReader(this.rt.redis(), this.blocking, streamKey(this.rt.config.redisPrefix, source), this.options.consumer ?? 'bronze-1', {
      maxBatchRows: this.options.maxBatchRows ?? b.maxBatchRows,
      maxBatchBytes: this.options.maxBatchBytes ?? b.maxBatchBytes,
      flushIntervalMillis: this.options.flushIntervalMillis ?? b.flushIntervalMillis,
      claimIdleMillis: this.options.claimIdleMillis ?? b.claimIdleMillis,
    });
  }

  /**
   * Settles re-delivered entries, then writes new ones until the stream has nothing more (waitMillis = 0) or until
   * one read waited waitMillis for nothing. Returns a result; never throws.
   */
  async drain(source: string, waitMillis = 0): Promise<BronzeResult> {
    const started = Date.now();
    const runId = newRunId('bronze');
    const result: BronzeResult = {
      source, runId, status: 'succeeded', entriesRead: 0, rowsWritten: 0, filesWritten: 0, batches: 0, skippedCommitted: 0, claimed: 0,
      invalidEntries: 0, abandonedBatches: 0, durationMillis: 0,
    };
    const table: TableRef = { layer: 'bronze', name: source };
    const tmpDir = path.join(this.rt.config.dataDir, 'tmp', 'bronze', runId);
    const reader = this.readerFor(source);
    try {
      await mkdir(tmpDir, { recursive: true });
      await reader.ensureGroup();
      for (;;) {
        await this.settleRedelivered(reader, table, tmpDir, runId, result);
        if ((await this.writeNew(reader, table, waitMillis, tmpDir, runId, result, started)) === 'drained') break;
        // A batch was abandoned to a fence: what is still pending for us is settled again before reading on.
      }
    } catch (error) {
      result.status = 'failed';
      result.error = describeError(error);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    result.durationMillis = Date.now() - started;
    // An idle drain (nothing read) is not worth a run record; a follower does one every second.
    if ((result.entriesRead > 0 && this.options.recordRuns !== false) || result.status === 'failed') await this.record(result, new Date(started)).catch(() => {});
    return result;
  }

  /**
   * Entries delivered before and never acknowledged: ours (a previous run died), then those of writers idle past the
   * claim threshold. Taking them over moves the table's fence first, so the writer they were taken from (if it is
   * still alive) cannot commit them too; then whatever a committed file already holds is only acknowledged.
   */
  private async settleRedelivered(reader: StreamReader, table: TableRef, tmpDir: string, runId: string, result: BronzeResult): Promise<void> {
    for (;;) {
      let entries = await reader.ownPending();
      if (entries.length === 0) {
        entries = (await reader.claimAbandoned()).entries;
        result.claimed += entries.length;
      }
      if (entries.length === 0) return;
      result.entriesRead += entries.length;
      const fenceEpoch = await this.rt.catalog.bumpFence(table);
      const done = await committedIds(this.rt, await this.duck, table, entries, tmpDir);
      result.skippedCommitted += done.size;
      await reader.ack(entries.filter((e) => done.has(e.id)));
      const rest = entries.filter((e) => !done.has(e.id));
      if (rest.length) await this.writeBatch(reader, table, rest, fenceEpoch, tmpDir, runId, result);
    }
  }

  /** New entries, batch after batch; the next batch is read while this one is written (Redis parsing overlaps DuckDB). */
  private async writeNew(
    reader: StreamReader, table: TableRef, waitMillis: number, tmpDir: string, runId: string, result: BronzeResult, started: number,
  ): Promise<'drained' | 'abandoned'> {
    // The fence epoch is read before the entries, so a takeover of those entries is always seen at commit. A batch that
    // starts with entries carried over from the previous read takes that read's (older, hence stricter) epoch.
    let previousEpoch = Number.NEGATIVE_INFINITY;
    const read = async (wait: number) => {
      const epoch = await this.rt.catalog.fenceEpoch(table);
      const fenceEpoch = reader.hasCarry ? previousEpoch : epoch;
      const entries = await reader.readNew(wait);
      previousEpoch = epoch;
      return { fenceEpoch, entries };
    };
    let next = read(waitMillis);
    for (;;) {
      const { fenceEpoch, entries } = await next;
      if (entries.length === 0) return 'drained';
      result.entriesRead += entries.length;
      next = read(0);
      let outcome: 'committed' | 'abandoned';
      try {
        outcome = await this.writeBatch(reader, table, entries, fenceEpoch, tmpDir, runId, result);
      } catch (error) {
        await next.catch(() => {}); // read-ahead entries stay pending for us; the next drain settles them
        throw error;
      }
      this.options.onBatch?.({ ...result, durationMillis: Date.now() - started });
      if (outcome === 'abandoned') {
        await next.catch(() => {});
        return 'abandoned';
      }
      if (this.options.shouldStop?.()) {
        const ahead = await next;
        if (ahead.entries.length === 0) return 'drained';
        result.entriesRead += ahead.entries.length;
        const last = await this.writeBatch(reader, table, ahead.entries, ahead.fenceEpoch, tmpDir, runId, result);
        this.options.onBatch?.({ ...result, durationMillis: Date.now() - started });
        return last === 'committed' ? 'drained' : 'abandoned';
      }
    }
  }

  private async record(result: BronzeResult, startedAt: Date): Promise<void> {
    await this.rt.runs.start('bronze', result.source, result.runId, startedAt);
    await this.rt.runs.finish(result.runId, {
      status: result.status, rowsIn: result.entriesRead, rowsOut: result.rowsWritten, error: result.error,
      details: {
        files: result.filesWritten, batches: result.batches, skippedCommitted: result.skippedCommitted, claimed: result.claimed,
        invalidEntries: result.invalidEntries, abandonedBatches: result.abandonedBatches, durationMillis: result.durationMillis,
      },
    });
  }

  /** Parquet per date → upload → ownership check → one catalog commit → dead letters → acknowledge. */
  private async writeBatch(
    reader: StreamReader, table: TableRef, entries: StreamEntry[], fenceEpoch: number, tmpDir: string, runId: string, result: BronzeResult,
  ): Promise<'committed' | 'abandoned'> {
    const first = entries[0]!.id;
    const last = entries[entries.length - 1]!.id;
    const batchDir = path.join(tmpDir, `${first}_${last}`);
    await mkdir(batchDir, { recursive: true });
    const { files: parts, invalid } = await writeBatchFiles(await this.duck, entries, batchDir);
    await this.crashPoint('bronze-before-upload');
    const files: DataFile[] = [];
    for (const part of parts) {
      const key = bronzeObjectKey(table.name, part.dt, first, last);
      const info = await this.rt.store.putFile(key, part.localPath);
      files.push({
        path: key, rowCount: part.rowCount, bytes: info.bytes, partitionValues: { dt: part.dt },
        columnStats: { observed_at: { min: part.minObservedAt, max: part.maxObservedAt } }, streamFirstId: first, streamLastId: last,
      });
    }
    await this.crashPoint('bronze-after-upload');
    try {
      await withRetry(
        () => this.rt.catalog.commit({
          table, baseSnapshotId: null, operation: 'append', add: files, runId, fenceEpoch, summary: { first, last, consumer: reader.consumer },
        }),
        { attempts: 10, isRetryable: (e) => e instanceof TransientError },
      );
    } catch (error) {
      if (!(error instanceof FencedError)) throw error;
      // Another writer took these entries over and writes them itself; committing them too would duplicate them.
      result.abandonedBatches++;
      await rm(batchDir, { recursive: true, force: true });
      return 'abandoned';
    }
    await this.crashPoint('bronze-after-commit');
    if (invalid.length) {
      result.invalidEntries += invalid.length;
      await StreamPublisher.fromConfig(this.rt.redis(), this.rt.config).deadLetter(
        table.name, runId, invalid.map((i) => ({ raw: i.raw, reason: `${i.reason} (stream entry ${i.id})`, key: `bronze:${i.id}` })),
      );
    }
    await reader.ack(entries);
    result.batches++;
    result.filesWritten += files.length;
    result.rowsWritten += parts.reduce((n, p) => n + p.rowCount, 0);
    await rm(batchDir, { recursive: true, force: true });
    return 'committed';
  }

  private async crashPoint(name: string): Promise<void> {
    failpoint(name);
    await this.options.onFailpoint?.(name);
  }

  async close(): Promise<void> {
    (await this.duck).close();
    this.blocking.disconnect();
  }
}

/** Drains one source once with a writer of its own: what the demo, the scheduler and tests call. */
export async function drainSource(rt: Runtime, source: string, options: BronzeWriterOptions = {}): Promise<BronzeResult> {
  const writer = new BronzeWriter(rt, options);
  try {
    return await writer.drain(source);
  } finally {
    await writer.close();
  }
}
