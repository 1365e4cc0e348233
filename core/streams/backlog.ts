// Backpressure: a stream is never trimmed of entries the bronze writer has not consumed, so when its backlog grows
// past a limit the collectors writing to it slow down, then pause, until the writer catches up.
import type { Redis } from 'ioredis';
import { sleep } from '../retry.ts';
import { BRONZE_GROUP, compareStreamIds } from './keys.ts';

/** A Redis reply of alternating names and values (stream entry fields, XINFO rows) as a record. */
export function fieldsOf<T = unknown>(reply: readonly T[]): Record<string, T> {
  return Object.fromEntries(Array.from({ length: reply.length / 2 }, (_, i) => [String(reply[2 * i]), reply[2 * i + 1]!]));
}

export interface BronzeGroupState {
  length: number;
  /** Entries never delivered to the bronze group (all of them when the group does not exist yet). */
  undelivered: number;
  /** Delivered, not yet acknowledged. */
  pending: number;
  consumers: number;
  lastDeliveredId: string;
}

/** Where the bronze writer's consumer group stands on a stream. */
export async function bronzeGroupState(redis: Redis, stream: string): Promise<BronzeGroupState> {
  const length = await redis.xlen(stream);
  const none = { length, undelivered: length, pending: 0, consumers: 0, lastDeliveredId: '0-0' };
  if (length === 0) return { ...none, undelivered: 0 };
  let groups: unknown[][];
  try {
    groups = (await redis.xinfo('GROUPS', stream)) as unknown[][];
  } catch {
    return none; // no group yet: nothing was ever consumed
  }
  const group = groups.map((g) => fieldsOf(g)).find((g) => g.name === BRONZE_GROUP);
  if (!group) return none;
  // Redis's lag is a counter that can drift (after a restart from the AOF it was seen stuck at thousands with nothing
  // left to deliver): when the group has delivered the stream's last entry, nothing is undelivered, whatever lag says.
  const last = (await redis.xrevrange(stream, '+', '-', 'COUNT', 1))[0]?.[0];
  const deliveredAll = last !== undefined && compareStreamIds(String(group['last-delivered-id']), last) >= 0;
  return {
    length,
    undelivered: deliveredAll ? 0 : group.lag === null || group.lag === undefined ? length : Number(group.lag),
    pending: Number(group.pending ?? 0),
    consumers: Number(group.consumers ?? 0),
    lastDeliveredId: String(group['last-delivered-id']),
  };
}

/** Entries of the stream the bronze group has not acknowledged: never delivered (lag) plus delivered and pending. */
export async function streamBacklog(redis: Redis, stream: string): Promise<number> {
  const state = await bronzeGroupState(redis, stream);
  return state.undelivered + state.pending;
}

export interface BackpressureEvent {
  state: 'slowing' | 'paused' | 'resumed';
  backlog: number;
  limit: number;
}

export interface BackpressureOptions {
  maxBacklog: number;
  /** Between checks while paused. */
  pollMillis?: number;
  onChange?: (event: BackpressureEvent) => void;
}

/**
 * Waits as long as the stream is too far behind: past half the limit it slows the caller down (up to 1 s a call, more
 * the fuller the backlog); at the limit it pauses until the backlog falls back under half. Returns the time waited.
 */
export async function awaitCapacity(redis: Redis, stream: string, options: BackpressureOptions): Promise<number> {
  const { maxBacklog, pollMillis = 1000, onChange } = options;
  const started = Date.now();
  let backlog = await streamBacklog(redis, stream);
  if (backlog >= maxBacklog) {
    onChange?.({ state: 'paused', backlog, limit: maxBacklog });
    while (backlog >= maxBacklog / 2) {
      await sleep(pollMillis);
      backlog = await streamBacklog(redis, stream);
    }
    onChange?.({ state: 'resumed', backlog, limit: maxBacklog });
  } else if (backlog >= maxBacklog / 2) {
    const fullness = (backlog - maxBacklog / 2) / (maxBacklog / 2);
    onChange?.({ state: 'slowing', backlog, limit: maxBacklog });
    await sleep(Math.round(1000 * fullness));
  }
  return Date.now() - started;
}
