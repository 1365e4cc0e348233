// Backlog and lag of each source's Redis stream, found by scanning for the stream keys (the API needs no list of
// sources): entries not yet acknowledged by the bronze writer, how old the oldest of them is, and the dead letters.
import type { Redis } from 'ioredis';
import { bronzeGroupState } from '../streams/backlog.ts';
import { BRONZE_GROUP, deadLetterKey, streamKey } from '../streams/keys.ts';

export interface StreamStats {
  source: string;
  stream: string;
  length: number;
  /** Entries the bronze writer has not acknowledged: never delivered (lag) plus delivered and pending. */
  backlog: number;
  /** Never delivered to the bronze group. */
  undelivered: number;
  pending: number;
  consumers: number;
  /** Age of the oldest entry not yet acknowledged (0 when there is none): how far behind bronze is, in time. */
  lagSeconds: number;
  /** Dead letters still in Redis (committed ones are in bronze.<source>__dead_letters). */
  deadLetters: number;
}

const idMillis = (id: string) => Number(id.split('-')[0]);

export async function streamStats(redis: Redis, prefix: string): Promise<StreamStats[]> {
  const pattern = streamKey(prefix, '*');
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000, 'TYPE', 'stream');
    cursor = next;
    for (const k of found) keys.add(k);
  } while (cursor !== '0');
  const now = Date.now();
  const stats = await Promise.all(
    [...keys].sort().map(async (stream): Promise<StreamStats> => {
      const source = stream.slice(streamKey(prefix, '').length);
      const [{ length, undelivered, pending, consumers, lastDeliveredId }, deadLetters] = await Promise.all([
        bronzeGroupState(redis, stream),
        redis.xlen(deadLetterKey(prefix, source)),
      ]);
      // The oldest unacknowledged entry: the first pending one, else the first not yet delivered.
      let oldest: string | undefined;
      if (pending > 0) oldest = String(((await redis.xpending(stream, BRONZE_GROUP)) as unknown[])[1]);
      else if (undelivered > 0)
        oldest = ((await redis.xrange(stream, `(${lastDeliveredId}`, '+', 'COUNT', 1)) as [string, string[]][])[0]?.[0];
      return {
        source,
        stream,
        length,
        backlog: undelivered + pending,
        undelivered,
        pending,
        consumers,
        lagSeconds: oldest ? Math.max(0, Math.round((now - idMillis(oldest)) / 100) / 10) : 0,
        deadLetters,
      };
    }),
  );
  return stats;
}
