// The bronze writer (DESIGN.md contract 3): reads a source's streams in the `bronze` consumer group (its events, then
// its dead letters), writes each batch as one zstd Parquet file under a deterministic name, commits it in the catalog,
// and only then acknowledges, and trims out of Redis what every group has acknowledged. On start it first settles
// entries re-delivered to it (its own pending ones and ones claimed from dead writers): those already in a committed
// file are only acknowledged.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { DataFile, TableRef } from '../lake/catalog/catalog.ts';
import { newRunId, type StepResult } from '../lake/catalog/runs.ts';
import { DuckSession } from '../core/duckdb.ts';
import { describeError, FencedError, TransientError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import { withRetry } from '../core/retry.ts';
import type { Runtime } from '../lake/runtime.ts';
import { BRONZE_GROUP, compareStreamIds, deadLetterKey, streamKey, writersKey } from '../streams/keys.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { acknowledgeAndTrim, trimAcknowledged } from '../streams/trim.ts';
import { WriterHeartbeat } from '../streams/writers.ts';
import {
  bronzePartitionPrefix,
  deadLetterTable,
  INGEST_PARTITION,
  ingestDateOf,
  ingestDayOf,
} from '../lake/bronze-schema.ts';
import { NdjsonScratch, writeBatchFile, type StreamKind } from './batch-files.ts';
import { committedIds } from './recovery.ts';
import { StreamConnection } from './stream-connection.ts';
import { StreamReader, type StreamEntry, type StreamReaderOptions } from './stream-reader.ts';

export interface BronzeWriterOptions extends Partial<StreamReaderOptions> {
  /** This writer's name in the consumer group; a restart under the same name settles its own pending entries first. */
  consumer?: string;
  onBatch?: (result: BronzeResult) => void;
  /** Called at each crash point (bronze-before-upload, -after-upload, -after-commit, -after-ack: acknowledged and trimmed); tests throw or wait here. */
  onFailpoint?: (name: string) => void | Promise<void>;
  /** Asked after each batch: true ends the drain (the batch read ahead is written first), e.g. on SIGTERM under steady load. */
  shouldStop?: () => boolean;
  /** Record each drain that read something as a run (default true); `pnpm stream` drains every second and reports in its own run. */
  recordRuns?: boolean;
  /** Which of a source's streams to drain (default both: its events, then its dead letters). */
  kinds?: StreamKind[];
}

/**
 * A bronze drain of one source: rowsIn the events read from its stream (dead letters are counted apart), rowsOut the
 * events committed to bronze.<source>, rowsRejected the entries that are not valid envelopes (dead-lettered with the
 * reason).
 */
export interface BronzeResult extends StepResult {
  kind: 'bronze';
  runId: string;
  status: 'succeeded' | 'failed';
  filesWritten: number;
  batches: number;
  /** Re-delivered entries found in committed files (a crash between commit and acknowledge): acknowledged only. */
  skippedCommitted: number;
  /** Entries claimed from writers idle past the claim threshold. */
  claimed: number;
  /** Batches given up before commit because another writer claimed them meanwhile (they write them instead). */
  abandonedBatches: number;
  /** Entries removed from Redis because every consumer group had acknowledged them (they are in the lake). */
  trimmed: number;
  /** Dead letters read from the source's dead-letter stream, and committed to bronze.<source>__dead_letters. */
  deadLettersRead: number;
  deadLettersWritten: number;
  /**
   * Where the time went, in milliseconds summed over batches: reading runs ahead while a batch is written, so the
   * stages add up to more than the duration.
   */
  timings: Record<BronzeStage, number>;
}

export const BRONZE_STAGES = ['read', 'ndjson', 'copy', 'upload', 'commit', 'ackTrim'] as const;
export type BronzeStage = (typeof BRONZE_STAGES)[number];

/** One stream the writer drains, and the bronze table its entries go to. */
interface BronzeStream {
  kind: StreamKind;
  source: string;
  key: string;
  table: TableRef;
}

interface ReadBatch {
  fenceEpoch: number;
  entries: StreamEntry[];
}

const NOTHING_READ: ReadBatch = { fenceEpoch: 0, entries: [] };

/** Deterministic object name of a batch's file: the stream id range names the batch, its first id's day the folder. */
export const bronzeObjectKey = (table: string, ingestDate: string, first: string, last: string) =>
  `${bronzePartitionPrefix(table, ingestDate)}${first}_${last}.parquet`;

/**
 * Following a stream under steady load, a drain returns after this long so the source's dead letters get their turn
 * (a drain of a quiet stream returns as soon as a read waits for nothing).
 */
const FOLLOW_ROUND_MILLIS = 10_000;

/** Splits entries by the UTC day they were received (a batch is one file in one day's folder), keeping their order. */
function byIngestDay(entries: StreamEntry[]): StreamEntry[][] {
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

export class BronzeWriter {
  private readonly connection: StreamConnection;
  private readonly duck: Promise<DuckSession>;
  private readonly scratch = new NdjsonScratch();
  /** Heartbeats on the sources this writer drained: collectors see a live writer and wait for it rather than drain. */
  private readonly heartbeats = new Map<string, WriterHeartbeat>();

  constructor(
    private readonly rt: Runtime,
    private readonly options: BronzeWriterOptions = {},
  ) {
    this.connection = new StreamConnection(rt.config.redisUrl);
    // One DuckDB thread: its COPY of a batch fits inside the read of the next batch, and the other core stays with
    // Node's main thread and Redis, which are the bottleneck (docs/decisions/0003-parquet-write-path.md).
    this.duck = DuckSession.open({
      tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb'),
      threads: rt.config.bronze.duckdbThreads,
    });
  }

  private heartbeat(source: string): WriterHeartbeat {
    let heartbeat = this.heartbeats.get(source);
    if (!heartbeat) {
      heartbeat = new WriterHeartbeat(
        this.rt.redis(),
        writersKey(this.rt.config.redisPrefix, source),
        this.options.consumer ?? 'bronze-1',
      );
      this.heartbeats.set(source, heartbeat);
    }
    return heartbeat;
  }

  private streamsOf(source: string): BronzeStream[] {
    const prefix = this.rt.config.redisPrefix;
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

  private readerFor(stream: BronzeStream): StreamReader {
    const b = this.rt.config.bronze;
    const options = {
      maxBatchRows: this.options.maxBatchRows ?? b.maxBatchRows,
      maxBatchBytes: this.options.maxBatchBytes ?? b.maxBatchBytes,
      flushIntervalMillis: this.options.flushIntervalMillis ?? b.flushIntervalMillis,
      claimIdleMillis: this.options.claimIdleMillis ?? b.claimIdleMillis,
    };
    return new StreamReader(
      this.rt.redis(),
      this.connection,
      stream.key,
      this.options.consumer ?? 'bronze-1',
      options,
      stream.kind,
    );
  }

  /**
   * Drains the source's events, then its dead letters: settles re-delivered entries, then writes new ones until the
   * stream has nothing more (waitMillis = 0), or until one read waited waitMillis for nothing (or a round of
   * FOLLOW_ROUND_MILLIS passed). Returns a result; never throws.
   */
  async drain(source: string, waitMillis = 0): Promise<BronzeResult> {
    const started = Date.now();
    const runId = newRunId('bronze');
    const result: BronzeResult = {
      kind: 'bronze',
      target: source,
      runId,
      status: 'succeeded',
      rowsIn: 0,
      rowsOut: 0,
      filesWritten: 0,
      batches: 0,
      skippedCommitted: 0,
      claimed: 0,
      rowsRejected: 0,
      abandonedBatches: 0,
      trimmed: 0,
      deadLettersRead: 0,
      deadLettersWritten: 0,
      durationMillis: 0,
      timings: Object.fromEntries(BRONZE_STAGES.map((s) => [s, 0])) as Record<BronzeStage, number>,
    };
    const tmpDir = path.join(this.rt.config.dataDir, 'tmp', 'bronze', runId);
    try {
      await mkdir(tmpDir, { recursive: true });
      for (const stream of this.streamsOf(source).filter((s) => this.options.kinds?.includes(s.kind) ?? true)) {
        // A source that never dead-lettered anything has no dead-letter stream: none is created for it.
        if (stream.kind === 'dead-letters' && !(await this.rt.redis().exists(stream.key))) continue;
        await this.drainStream(stream, stream.kind === 'events' ? waitMillis : 0, tmpDir, runId, result, started);
      }
    } catch (error) {
      result.status = 'failed';
      result.error = describeError(error);
    } finally {
      await rm(tmpDir, { recursive: true, force: true });
    }
    result.durationMillis = Date.now() - started;
    // An idle drain (nothing read) is not worth a run record; a follower does one every second.
    const read = result.rowsIn + result.deadLettersRead;
    if ((read > 0 && this.options.recordRuns !== false) || result.status === 'failed')
      await this.record(result, new Date(started)).catch(() => {});
    return result;
  }

  private async drainStream(
    stream: BronzeStream,
    waitMillis: number,
    tmpDir: string,
    runId: string,
    result: BronzeResult,
    started: number,
  ): Promise<void> {
    const reader = this.readerFor(stream);
    await this.heartbeat(stream.source).beat();
    await reader.ensureGroup();
    // What an earlier run acknowledged but did not trim (it died in between) leaves Redis now.
    result.trimmed += await trimAcknowledged(this.rt.redis(), stream.key);
    for (;;) {
      await this.settleRedelivered(reader, stream, tmpDir, runId, result);
      if ((await this.writeNew(reader, stream, waitMillis, tmpDir, runId, result, started)) === 'drained') return;
      // A batch was abandoned to a fence: what is still pending for us is settled again before reading on.
    }
  }

  /**
   * Entries delivered before and never acknowledged: ours (a previous run died), then those of writers idle past the
   * claim threshold. Taking them over moves the table's fence first, so the writer they were taken from (if it is
   * still alive) cannot commit them too; then whatever a committed file already holds is only acknowledged.
   */
  private async settleRedelivered(
    reader: StreamReader,
    stream: BronzeStream,
    tmpDir: string,
    runId: string,
    result: BronzeResult,
  ): Promise<void> {
    for (;;) {
      await this.heartbeat(stream.source).beat();
      let entries = await reader.ownPending();
      if (entries.length === 0) {
        entries = (await reader.claimAbandoned()).entries;
        result.claimed += entries.length;
      }
      if (entries.length === 0) return;
      countRead(stream, result, entries.length);
      const fenceEpoch = await this.rt.catalog.bumpFence(stream.table);
      const done = await committedIds(this.rt, await this.duck, stream.table, entries, tmpDir);
      result.skippedCommitted += done.size;
      await reader.ack(entries.filter((e) => done.has(e.id)));
      result.trimmed += await trimAcknowledged(this.rt.redis(), stream.key);
      // Re-delivered entries may span days (a writer dead for a while): one batch per day they were received.
      for (const rest of byIngestDay(entries.filter((e) => !done.has(e.id)))) {
        await this.writeBatch(
          reader,
          stream,
          rest.sort((a, b) => compareStreamIds(a.id, b.id)),
          fenceEpoch,
          tmpDir,
          runId,
          result,
        );
      }
    }
  }

  /**
   * New entries, batch after batch. Reads run two batches ahead of the one being written, one after another (the
   * reader is the bottleneck: Redis parsing on the main thread), so the reader never waits for DuckDB, the upload or
   * the commit.
   */
  private async writeNew(
    reader: StreamReader,
    stream: BronzeStream,
    waitMillis: number,
    tmpDir: string,
    runId: string,
    result: BronzeResult,
    started: number,
  ): Promise<'drained' | 'abandoned'> {
    // The fence epoch is read before the entries, so a takeover of those entries is always seen at commit. A batch that
    // starts with entries carried over from the previous read takes that read's (older, hence stricter) epoch.
    let previousEpoch = Number.NEGATIVE_INFINITY;
    const read = async (wait: number): Promise<ReadBatch> => {
      await this.heartbeat(stream.source).beat();
      const epoch = await this.rt.catalog.fenceEpoch(stream.table);
      const fenceEpoch = reader.hasCarry ? previousEpoch : epoch;
      const reading = performance.now();
      const entries = await reader.readNew(wait);
      // A read that waited for entries to arrive is not reading time.
      if (entries.length && wait === 0) result.timings.read += performance.now() - reading;
      previousEpoch = epoch;
      return { fenceEpoch, entries };
    };
    // The read after `previous`, once it is done; none after a read that found nothing. A read that fails is seen
    // where its batch is awaited; until then it must not count as an unhandled rejection.
    const after = (previous: Promise<ReadBatch>) => {
      const next = previous.then((r) => (r.entries.length ? read(0) : NOTHING_READ));
      next.catch(() => {});
      return next;
    };
    const write = async (batch: ReadBatch) => {
      countRead(stream, result, batch.entries.length);
      const outcome = await this.writeBatch(reader, stream, batch.entries, batch.fenceEpoch, tmpDir, runId, result);
      this.options.onBatch?.({ ...result, durationMillis: Date.now() - started });
      return outcome;
    };
    const roundEnds = Date.now() + FOLLOW_ROUND_MILLIS;
    let head = read(waitMillis);
    let ahead = after(head);
    for (;;) {
      const batch = await head;
      if (batch.entries.length === 0) return 'drained';
      head = ahead;
      ahead = after(head);
      let outcome: 'committed' | 'abandoned';
      try {
        outcome = await write(batch);
      } catch (error) {
        // Entries read ahead stay pending for this consumer; the next drain settles them.
        await Promise.allSettled([head, ahead]);
        throw error;
      }
      if (outcome === 'abandoned') {
        await Promise.allSettled([head, ahead]);
        return 'abandoned';
      }
      if (this.options.shouldStop?.() || (waitMillis > 0 && Date.now() >= roundEnds)) {
        // What was read ahead is written before returning: nothing is left pending for a later settle.
        for (const pending of [head, ahead]) {
          const rest = await pending;
          if (rest.entries.length && (await write(rest)) === 'abandoned') return 'abandoned';
        }
        return 'drained';
      }
    }
  }

  private async record(result: BronzeResult, startedAt: Date): Promise<void> {
    await this.rt.runs.start('bronze', result.target, result.runId, startedAt);
    const timings = { ...result.timings };
    for (const stage of BRONZE_STAGES) timings[stage] = Math.round(timings[stage]);
    await this.rt.runs.finishStep({ ...result, timings });
  }

  /** One Parquet file → upload → ownership check → one catalog commit → dead letters → acknowledge → trim. */
  private async writeBatch(
    reader: StreamReader,
    stream: BronzeStream,
    entries: StreamEntry[],
    fenceEpoch: number,
    tmpDir: string,
    runId: string,
    result: BronzeResult,
  ): Promise<'committed' | 'abandoned'> {
    const { table } = stream;
    const first = entries[0]!.id;
    const last = entries[entries.length - 1]!.id;
    const local = path.join(tmpDir, `${first}_${last}`);
    const { file: part, invalid } = await writeBatchFile(await this.duck, this.scratch, stream.kind, entries, local);
    await this.crashPoint('bronze-before-upload');
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
      const info = await this.rt.store.putFile(key, part.localPath);
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
    await this.crashPoint('bronze-after-upload');
    try {
      await withRetry(
        () =>
          this.rt.catalog.commit({
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
    await this.crashPoint('bronze-after-commit');
    if (invalid.length) {
      result.rowsRejected += invalid.length;
      await StreamPublisher.fromConfig(this.rt.redis(), this.rt.config).deadLetter(
        table.name,
        runId,
        invalid.map((i) => ({ raw: i.raw, reason: `${i.reason} (stream entry ${i.id})`, key: `bronze:${i.id}` })),
      );
    }
    // One step: what every group has acknowledged leaves Redis with this batch.
    mark = performance.now();
    result.trimmed += await acknowledgeAndTrim(
      this.rt.redis(),
      stream.key,
      BRONZE_GROUP,
      entries.map((e) => e.id),
    );
    lap('ackTrim');
    await this.crashPoint('bronze-after-ack');
    result.batches++;
    result.filesWritten += files.length;
    if (stream.kind === 'events') result.rowsOut += part?.rowCount ?? 0;
    else result.deadLettersWritten += part?.rowCount ?? 0;
    await removeLocal(local);
    return 'committed';
  }

  private async crashPoint(name: string): Promise<void> {
    failpoint(name);
    await this.options.onFailpoint?.(name);
  }

  async close(): Promise<void> {
    for (const heartbeat of this.heartbeats.values()) await heartbeat.leave().catch(() => {});
    (await this.duck).close();
    this.connection.close();
  }
}

function countRead(stream: BronzeStream, result: BronzeResult, n: number): void {
  if (stream.kind === 'events') result.rowsIn += n;
  else result.deadLettersRead += n;
}

/** Drains one source once with a writer of its own: what the demo, the scheduler and tests call. */
export async function drainSource(
  rt: Runtime,
  source: string,
  options: BronzeWriterOptions = {},
): Promise<BronzeResult> {
  const writer = new BronzeWriter(rt, options);
  try {
    return await writer.drain(source);
  } finally {
    await writer.close();
  }
}
