// Redis key names shared by collectors (writers) and the bronze writer (reader): one place, so they never drift.

export const streamKey = (prefix: string, source: string) => `${prefix}:stream:${source}`;
export const deadLetterKey = (prefix: string, source: string) => `${prefix}:dlq:${source}`;
export const seenKey = (prefix: string, source: string, id: string) => `${prefix}:seen:${source}:${id}`;
export const BRONZE_GROUP = 'bronze';

/** Compares Redis stream ids (`<ms>-<seq>`) numerically. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(BigInt) as [bigint, bigint];
  const [bm, bs] = b.split('-').map(BigInt) as [bigint, bigint];
  return am !== bm ? (am < bm ? -1 : 1) : as === bs ? 0 : as < bs ? -1 : 1;
}
