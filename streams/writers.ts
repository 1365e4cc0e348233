// Which bronze writers are alive on a stream: each refreshes its heartbeat while it runs (a sorted set of consumer →
// last beat), so a collector can tell a backlog that a writer is working through from one nobody will ever read.
// Redis 7.0's consumer `idle` time cannot tell: an empty read does not reset it.
import type { Redis } from 'ioredis';
import { writersKey } from './keys.ts';

/** A writer whose last beat is older than this is taken for gone. */
export const WRITER_BEAT_TIMEOUT_MILLIS = 10_000;
/** Beats are sent at most this often. */
const BEAT_EVERY_MILLIS = 1000;

export class WriterHeartbeat {
  private last = 0;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly consumer: string,
  ) {}

  /** Says "alive" (at most once a second); old beats of writers long gone are pruned on the way. */
  async beat(): Promise<void> {
    const now = Date.now();
    if (now - this.last < BEAT_EVERY_MILLIS) return;
    this.last = now;
    await this.redis
      .multi()
      .zadd(this.key, now, this.consumer)
      .zremrangebyscore(this.key, '-inf', now - 10 * WRITER_BEAT_TIMEOUT_MILLIS)
      .exec();
  }

  /** A writer that stops cleanly says so at once. */
  async leave(): Promise<void> {
    this.last = 0;
    await this.redis.zrem(this.key, this.consumer);
  }
}

/** The writers that beat within the timeout on a source's streams. */
export async function liveWriters(redis: Redis, prefix: string, source: string): Promise<string[]> {
  return redis.zrangebyscore(writersKey(prefix, source), Date.now() - WRITER_BEAT_TIMEOUT_MILLIS, '+inf');
}
