// Redis key names shared by collectors (writers) and the bronze writer (reader): one place, so they never drift.

export const streamKey = (prefix: string, source: string) => `${prefix}:stream:${source}`;
export const deadLetterKey = (prefix: string, source: string) => `${prefix}:dlq:${source}`;
/** The exact record of ids seen on one UTC day (a hash, expired after the retention). */
export const seenBucketKey = (prefix: string, source: string, day: string) => `${prefix}:seen:${source}:${day}`;
/** How far a file's rows are in the stream (the last row appended), for rows identified by position in a file. */
export const filePositionKey = (prefix: string, source: string, file: string) => `${prefix}:filepos:${source}:${file}`;
/** A source's persistent collection state (a hash: incremental cursors and the like). */
export const sourceStateKey = (prefix: string, source: string) => `${prefix}:state:${source}`;
/** The Bloom filter (a bitmap) shared by every collector of a source. */
export const bloomKey = (prefix: string, source: string) => `${prefix}:bloom:${source}`;
/** The bronze writers alive on a source's streams (a sorted set: consumer → time of its last heartbeat). */
export const writersKey = (prefix: string, source: string) => `${prefix}:writers:${source}`;
export const BRONZE_GROUP = 'bronze';

/** Compares Redis stream ids (`<ms>-<seq>`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}
