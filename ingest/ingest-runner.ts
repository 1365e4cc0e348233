// Runs one source's collector: parse each raw record into an envelope, dead-letter what fails, publish with dedup.
import { envOf } from '../core/config.ts';
import { newRunId, type StepResult } from '../lake/catalog/runs.ts';
import { failpoint } from '../core/failpoints.ts';
import { logLine } from '../core/log.ts';
import { describeError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';
import { Backpressure, type BackpressureEvent } from '../streams/backlog.ts';
import { sourceStateKey, streamKey } from '../streams/keys.ts';
import { liveWriters } from '../streams/writers.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { type Envelopes, toEnvelopes } from './envelopes.ts';
import { protectorFor } from './protect.ts';
import {
  isCheckpoint,
  recordsOf,
  type CheckpointCounts,
  type CollectContext,
  type RawRecord,
  type SourceDefinition,
} from './source.ts';

/**
 * A collection run: rowsIn the records the collector produced, rowsOut the events appended to the stream (not seen
 * before), rowsRejected the records that failed to parse, now in the dead-letter stream (first time seen).
 */
export interface IngestResult extends StepResult {
  kind: 'collect';
  runId: string;
  status: 'succeeded' | 'failed';
  /** Events dropped because the exact same event was already in the stream. */
  duplicates: number;
  /** Bad records already dead-lettered by an earlier run. */
  deadLetterDuplicates: number;
  /** Times the collector paused because the stream's backlog reached STRATA_STREAM_MAX_BACKLOG, and time spent waiting. */
  pauses: number;
  backpressureMillis: number;
  /** Events the collector wrote to bronze itself, finding the backlog at the limit and no bronze writer alive. */
  drainedInline: number;
  /** New events the Bloom filter took for seen until the exact check said otherwise (measured false positives). */
  bloomFalsePositives: number;
  /** Sensitive fields removed (sensitivity `drop`), by field: how many records had one. */
  fieldsDropped?: Record<string, number>;
}

export interface IngestOptions {
  batchSize?: number;
  context?: Partial<CollectContext>;
  onProgress?: (result: IngestResult) => void;
  /** Told when the collector slows down, pauses or resumes for the stream's backlog. */
  onBackpressure?: (event: BackpressureEvent) => void;
  /** Overrides STRATA_STREAM_MAX_BACKLOG. */
  maxBacklog?: number;
  backpressurePollMillis?: number;
  /** Overrides STRATA_BACKPRESSURE_MAX_WAIT_SECONDS (in milliseconds). */
  backpressureMaxWaitMillis?: number;
  /**
   * Writes the stream's backlog to bronze in this process, returning the rows written: what the collector does at the
   * backlog limit when no bronze writer is alive. Without it, such a collector waits for one, up to the deadline.
   */
  drainInline?: () => Promise<number>;
  /** Record the run in the catalog (default true); `pnpm stream` collects every second and reports in its own run. */
  recordRun?: boolean;
}

/** Collects one source into its stream. Returns a result rather than throwing; a failed run keeps what it published. */
export async function runIngest(
  rt: Runtime,
  source: SourceDefinition,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const started = Date.now();
  const record = options.recordRun ?? true;
  const runId = record ? await rt.runs.start('collect', source.name, newRunId('collect')) : newRunId('collect');
  const publisher = StreamPublisher.fromConfig(rt.redis(), rt.config);
  const result: IngestResult = {
    kind: 'collect',
    target: source.name,
    runId,
    status: 'succeeded',
    rowsIn: 0,
    rowsOut: 0,
    rowsRejected: 0,
    duplicates: 0,
    deadLetterDuplicates: 0,
    bloomFalsePositives: 0,
    pauses: 0,
    backpressureMillis: 0,
    drainedInline: 0,
    durationMillis: 0,
  };
  const outstanding: Promise<void>[] = [];
  try {
    const stream = streamKey(rt.config.redisPrefix, source.name);
    const stateKey = sourceStateKey(rt.config.redisPrefix, source.name);
    const proposed = new Map<string, string>();
    const state = {
      get: async (key: string) => (await rt.redis().hget(stateKey, key)) ?? undefined,
      propose: (key: string, value: string) => void proposed.set(key, value),
    };
    const protector = protectorFor(rt.config, source);
    const batchSize = options.batchSize ?? 1000;
    let batch: RawRecord[] = [];
    let batchChars = 0;
    const drainInline = options.drainInline;
    const backpressure = new Backpressure(rt.redis(), stream, {
      maxBacklog: options.maxBacklog ?? rt.config.streamMaxBacklog,
      maxWaitMillis: options.backpressureMaxWaitMillis ?? rt.config.backpressureMaxWaitMillis,
      pollMillis: options.backpressurePollMillis,
      liveWriters: () => liveWriters(rt.redis(), rt.config.redisPrefix, source.name),
      drain:
        drainInline &&
        (async () => {
          result.drainedInline += await drainInline();
        }),
      onChange: (event) => {
        if (event.state === 'paused' || event.state === 'draining') result.pauses++;
        if (event.state !== 'resumed')
          logLine(
            'warn',
            `${source.name}: backpressure, ${event.state} at a backlog of ${event.backlog} of ${event.limit}`,
            {
              runId,
              target: source.name,
            },
          );
        options.onBackpressure?.(event);
      },
    });
    // A batch is published in parts of at most half the backlog limit, so that it never takes a stream past its limit.
    const partSize = Math.max(1, Math.floor((options.maxBacklog ?? rt.config.streamMaxBacklog) / 2));
    // Batches are published in order while the collector produces the next and turns it into envelopes (Node reads,
    // hashes and encodes while Redis appends). Two may be out at once: the publisher queues the second one's calls
    // behind the first one's, so Redis is not idle between batches while Node finishes one. A batch's calls are
    // queued only once the one before has queued all of its own (`queued`), which keeps the stream in record order.
    // A checkpoint, a saved cursor and the run's end wait for all of them; a failure surfaces at the next wait.
    let queued: Promise<void> = Promise.resolve();
    const publishBatch = async () => {
      if (batch.length === 0) return;
      const records = batch;
      batch = [];
      batchChars = 0;
      const parts: Prepared[] = [];
      for (let i = 0; i < records.length; i += partSize) {
        const part = records.slice(i, i + partSize);
        parts.push({ records: part.length, ...toEnvelopes(source, part, runId, rt.config.maxEventBytes, protector) });
      }
      while (outstanding.length >= BATCHES_OUT) await outstanding.shift();
      // A batch that failed to be queued (its backlog wait ended in an error) stops every batch after it: publishing
      // those would put rows of a file past rows that never reached the stream.
      const published = queued.then(() => queueParts(parts));
      queued = published.then(() => {});
      queued.catch(() => {});
      const done = published.then((outcomes) => Promise.all(outcomes)).then(() => failpoint('ingest-after-publish'));
      done.catch(() => {});
      outstanding.push(done);
    };
    const settle = async () => {
      await publishBatch();
      const outcomes = await Promise.allSettled(outstanding.splice(0));
      const failed = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failed) throw failed.reason;
    };
    /** Queues each part once the backlog admits it; returns when all are queued, with their outcomes. */
    const queueParts = async (parts: Prepared[]): Promise<Promise<void>[]> => {
      failpoint('ingest-before-publish');
      const outcomes: Promise<void>[] = [];
      for (const part of parts) {
        // Pull-based: while this waits, the collector reads at most one batch more, then waits for this one.
        result.backpressureMillis += await backpressure.admit(part.records);
        outcomes.push(publishPart(part));
      }
      return outcomes;
    };
    const publishPart = async ({ records, events, letters, dropped }: Prepared) => {
      // Both are queued at once (the dead letters go to a stream of their own); a failure is thrown once both settled.
      const [eventsOutcome, lettersOutcome] = await Promise.allSettled([
        source.identity === 'position'
          ? publisher.publishByPosition(source.name, events)
          : publisher.publish(source.name, events),
        publisher.deadLetter(source.name, runId, letters),
      ]);
      if (eventsOutcome.status === 'rejected') throw eventsOutcome.reason;
      if (lettersOutcome.status === 'rejected') throw lettersOutcome.reason;
      const [published, dead] = [eventsOutcome.value, lettersOutcome.value];
      result.rowsIn += records;
      result.rowsOut += published.appended;
      result.duplicates += published.duplicates;
      result.bloomFalsePositives += published.bloomFalsePositives;
      result.rowsRejected += dead.appended;
      result.deadLetterDuplicates += dead.duplicates;
      for (const [field, n] of Object.entries(dropped)) {
        result.fieldsDropped ??= {};
        result.fieldsDropped[field] = (result.fieldsDropped[field] ?? 0) + n;
      }
      options.onProgress?.({ ...result, durationMillis: Date.now() - started });
    };
    const env = envOf(rt.config);
    let sinceCheckpoint = { ...result };
    for await (const item of source.collect({ runId, state, config: rt.config, env, ...options.context })) {
      if (isCheckpoint(item)) {
        await settle();
        await item.checkpoint(countsSince(result, sinceCheckpoint));
        sinceCheckpoint = { ...result };
        continue;
      }
      for (const record of recordsOf(item)) {
        batch.push(record);
        batchChars += record.text.length;
        if (batch.length >= batchSize || batchChars >= BATCH_MAX_CHARS) await publishBatch();
      }
    }
    await settle();
    // Only now is every record of the run in the stream: a cursor saved earlier could skip records after a crash.
    if (proposed.size) await rt.redis().hset(stateKey, Object.fromEntries(proposed));
    for (const [field, n] of Object.entries(result.fieldsDropped ?? {}))
      logLine('info', `${source.name}: sensitive field ${field} dropped from ${n} records`, {
        runId,
        target: source.name,
      });
  } catch (error) {
    // Batches still being published finish (or fail) before the run is reported.
    await Promise.allSettled(outstanding);
    result.status = 'failed';
    result.error = describeError(error);
  }
  result.durationMillis = Date.now() - started;
  if (record) await rt.runs.finishStep(result);
  return result;
}

/** A part of a batch, turned into envelopes and dead letters, waiting for its turn to be published. */
interface Prepared extends Envelopes {
  records: number;
}

/** What became of the records between two checkpoints, from the run's counters then and now. */
const countsSince = (now: IngestResult, then: IngestResult): CheckpointCounts => ({
  read: now.rowsIn - then.rowsIn,
  published: now.rowsOut - then.rowsOut,
  duplicates: now.duplicates - then.duplicates,
  deadLettered: now.rowsRejected + now.deadLetterDuplicates - then.rowsRejected - then.deadLetterDuplicates,
});

/** Batches published at once: one being appended, the next queued behind it (see publishBatch). */
const BATCHES_OUT = 2;

/** A batch is published at this many characters of records too, so that large records keep memory bounded. */
const BATCH_MAX_CHARS = 4 * 1024 * 1024;
