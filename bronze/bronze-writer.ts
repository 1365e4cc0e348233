// The bronze writer (DESIGN.md contract 3): reads a source's streams in the `bronze` consumer group (its events, then
// its dead letters), writes each batch as one zstd Parquet file under a deterministic name, commits it in the catalog,
// and only then acknowledges, and trims out of Redis what every group has acknowledged. On start it first settles
// entries re-delivered to it (its own pending ones and ones claimed from dead writers): those already in a committed
// file are only acknowledged.
import { ensureNoEviction } from '../streams/eviction.ts';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { newRunId } from '../lake/catalog/runs.ts';
import { DuckSession } from '../core/duckdb.ts';
import { describeError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import type { Runtime } from '../lake/runtime.ts';
import { writersKey } from '../streams/keys.ts';
import { trimAcknowledged } from '../streams/trim.ts';
import { WriterHeartbeat } from '../streams/writers.ts';
import { NdjsonScratch, type StreamKind } from './batch-files.ts';
import {
  NOTHING_READ,
  streamsOf,
  writeBatch,
  type BronzeStream,
  type ReadBatch,
  type StreamDrain,
} from './bronze-batch.ts';
import { BRONZE_STAGES, countRead, emptyBronzeResult, type BronzeResult } from './bronze-result.ts';
import { settleRedelivered } from './recovery.ts';
import { StreamConnection } from './stream-connection.ts';
import { StreamReader, type StreamReaderOptions } from './stream-reader.ts';

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
 * Following a stream under steady load, a drain returns after this long so the source's dead letters get their turn
 * (a drain of a quiet stream returns as soon as a read waits for nothing).
 */
const FOLLOW_ROUND_MILLIS = 10_000;

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
    const result = emptyBronzeResult(source, runId);
    const tmpDir = path.join(this.rt.config.dataDir, 'tmp', 'bronze', runId);
    try {
      await ensureNoEviction(this.rt.redis());
      await mkdir(tmpDir, { recursive: true });
      for (const stream of streamsOf(this.rt.config.redisPrefix, source).filter(
        (s) => this.options.kinds?.includes(s.kind) ?? true,
      )) {
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
    const heartbeat = this.heartbeat(stream.source);
    const drain: StreamDrain = {
      rt: this.rt,
      duck: await this.duck,
      scratch: this.scratch,
      reader: this.readerFor(stream),
      stream,
      tmpDir,
      runId,
      result,
      beat: () => heartbeat.beat(),
      crashPoint: async (name: string) => {
        failpoint(name);
        await this.options.onFailpoint?.(name);
      },
    };
    await drain.beat();
    await drain.reader.ensureGroup();
    // What an earlier run acknowledged but did not trim (it died in between) leaves Redis now.
    result.trimmed += await trimAcknowledged(this.rt.redis(), stream.key);
    for (;;) {
      await settleRedelivered(drain);
      if ((await this.writeNew(drain, waitMillis, started)) === 'drained') return;
      // A batch was abandoned to a fence: what is still pending for us is settled again before reading on.
    }
  }

  /**
   * New entries, batch after batch. Reads run two batches ahead of the one being written, one after another (the
   * reader is the bottleneck: Redis parsing on the main thread), so the reader never waits for DuckDB, the upload or
   * the commit.
   */
  private async writeNew(drain: StreamDrain, waitMillis: number, started: number): Promise<'drained' | 'abandoned'> {
    const { reader, stream, result } = drain;
    // The fence epoch is read before the entries, so a takeover of those entries is always seen at commit. A batch that
    // starts with entries carried over from the previous read takes that read's (older, hence stricter) epoch.
    let previousEpoch = Number.NEGATIVE_INFINITY;
    const read = async (wait: number): Promise<ReadBatch> => {
      await drain.beat();
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
      countRead(stream.kind, result, batch.entries.length);
      const outcome = await writeBatch(drain, batch.entries, batch.fenceEpoch);
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

  async close(): Promise<void> {
    for (const heartbeat of this.heartbeats.values()) await heartbeat.leave().catch(() => {});
    (await this.duck).close();
    this.connection.close();
  }
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
