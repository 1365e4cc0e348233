// Backpressure: a stream is never trimmed of entries the bronze writer has not consumed, so when its backlog grows
// past a limit the collectors writing to it slow down, then pause until a live writer catches up, or drain it
// themselves when no writer is alive (decision 0021).
import type { Redis } from 'ioredis';
import { TerminalError } from '../core/errors.ts';
import { sleep } from '../core/retry.ts';
import { BRONZE_GROUP, compareStreamIds } from './keys.ts';

/** A Redis reply of alternating names and values (stream entry fields, XINFO rows) as a record. */
export function fieldsOf<T = unknown>(reply: readonly T[]): Record<string, T> {
  return Object.fromEntries(
    Array.from({ length: reply.length / 2 }, (_, i) => [String(reply[2 * i]), reply[2 * i + 1]!]),
  );
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
  /**
   * slowing: past half the limit, a live writer catching up; paused: at the limit, waiting for it; draining: at the
   * limit with no writer alive, the collector writes the backlog to bronze itself; resumed: back under way.
   */
  state: 'slowing' | 'paused' | 'draining' | 'resumed';
  backlog: number;
  limit: number;
}

export interface BackpressureOptions {
  maxBacklog: number;
  /** The longest a collector waits for a live writer to bring the backlog under half the limit; past it, it fails. */
  maxWaitMillis: number;
  /** The bronze writers alive on the stream (their heartbeats). */
  liveWriters: () => Promise<string[]>;
  /** Writes the backlog to bronze in this process: used at the limit when no writer is alive. */
  drain?: () => Promise<void>;
  /** Between checks while paused. */
  pollMillis?: number;
  onChange?: (event: BackpressureEvent) => void;
}

/** How old a reading of the backlog may be for a batch to be admitted on it, far under the limit. */
const RECHECK_MILLIS = 1000;

/**
 * Keeps a collector's stream within its backlog limit, and never waits without an end: with a live writer it slows
 * down past half the limit (up to 1 s a batch, more the fuller the backlog) and pauses at the limit until the backlog
 * is back under half; with none it drains the backlog to bronze itself (when it can) instead of waiting for nobody.
 * A wait longer than maxWaitMillis ends in a TerminalError that names what would unblock it.
 */
export class Backpressure {
  private slowing = false;
  /**
   * The backlog last read from Redis, when, and the entries admitted since: while that sum stays under half the limit,
   * and the reading is younger than RECHECK_MILLIS, a batch is admitted without asking Redis. Asking for every batch
   * cost two round trips that held the batch's append back until the collector's next pause, so Node and Redis
   * took turns instead of working at once. Only other producers on the same stream can add unseen entries, for at
   * most RECHECK_MILLIS.
   */
  private known?: { backlog: number; at: number; admitted: number };

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly options: BackpressureOptions,
  ) {}

  /**
   * Waits (or drains) while the stream is too far behind to take `incoming` more entries (at most half the limit);
   * returns the time spent.
   */
  async admit(incoming = 0): Promise<number> {
    const { maxBacklog: limit, onChange } = this.options;
    const started = Date.now();
    const known = this.known;
    if (known && started - known.at < RECHECK_MILLIS && known.backlog + known.admitted + incoming < limit / 2) {
      known.admitted += incoming;
      return 0;
    }
    this.known = undefined;
    let backlog = await streamBacklog(this.redis, this.stream);
    const full = backlog + incoming > limit;
    if (!full && backlog < limit / 2) {
      this.slowing = false;
      this.known = { backlog, at: started, admitted: incoming };
      return 0;
    }
    let writers = await this.options.liveWriters();
    if (full) {
      onChange?.({ state: writers.length || !this.options.drain ? 'paused' : 'draining', backlog, limit });
      const deadline = started + this.options.maxWaitMillis;
      while (backlog >= limit / 2) {
        if (writers.length === 0 && this.options.drain) {
          await this.options.drain();
        } else {
          if (Date.now() >= deadline) throw this.stalled(backlog, writers);
          await sleep(this.options.pollMillis ?? 1000);
        }
        backlog = await streamBacklog(this.redis, this.stream);
        writers = await this.options.liveWriters();
      }
      this.slowing = false;
      onChange?.({ state: 'resumed', backlog, limit });
    } else if (writers.length) {
      // Slowing down only helps a writer that is there to catch up.
      if (!this.slowing) onChange?.({ state: 'slowing', backlog, limit });
      this.slowing = true;
      await sleep(Math.round(1000 * ((backlog - limit / 2) / (limit / 2))));
    }
    return Date.now() - started;
  }

  private stalled(backlog: number, writers: string[]): TerminalError {
    const waited = `${Math.round(this.options.maxWaitMillis / 1000)} s`;
    return new TerminalError(
      writers.length
        ? `${this.stream}: the backlog stayed at ${backlog} of ${this.options.maxBacklog} for ${waited} while bronze writers (${writers.join(', ')}) ` +
            'were alive but not catching up; start another writer (`pnpm bronze --consumer <name>`), check their logs, or raise STRATA_STREAM_MAX_BACKLOG'
        : `${this.stream}: the backlog is at ${backlog} of ${this.options.maxBacklog} and no bronze writer has run for ${waited}; ` +
            'start one (`pnpm bronze`), or raise STRATA_STREAM_MAX_BACKLOG',
    );
  }
}
