// What a bronze drain returns and its run records: a StepResult with the drain's own counters and timings.
import type { StepResult } from '../lake/catalog/runs.ts';
import type { StreamKind } from './batch-files.ts';

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

export const emptyBronzeResult = (source: string, runId: string): BronzeResult => ({
  kind: 'bronze',
  target: source,
  runId,
  status: 'succeeded',
  rowsIn: 0,
  rowsOut: 0,
  rowsRejected: 0,
  filesWritten: 0,
  batches: 0,
  skippedCommitted: 0,
  claimed: 0,
  abandonedBatches: 0,
  trimmed: 0,
  deadLettersRead: 0,
  deadLettersWritten: 0,
  durationMillis: 0,
  timings: Object.fromEntries(BRONZE_STAGES.map((s) => [s, 0])) as Record<BronzeStage, number>,
});

/** Counts entries read from a stream: events as rowsIn, dead letters apart. */
export function countRead(kind: StreamKind, result: BronzeResult, n: number): void {
  if (kind === 'events') result.rowsIn += n;
  else result.deadLettersRead += n;
}
