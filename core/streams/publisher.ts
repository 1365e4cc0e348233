// Appends events to a source's stream with exact dedup (DESIGN.md contract 2): one Lua script marks an event seen
// and appends it in the same atomic step, so a crash in between cannot turn a retry into a "duplicate".
import type { Redis } from 'ioredis';
import { TransientError } from '../errors.ts';
import { encodeEnvelope, ENVELOPE_FIELD, eventIdOf, type EventEnvelope } from './envelope.ts';
import { deadLetterKey, seenKey, streamKey } from './keys.ts';

// KEYS[1] = stream; KEYS[2..] = one seen-key per event.
// ARGV[1] = seen-key TTL (s); ARGV[2] = f, the number of fields per event; ARGV[3..2+f] = field names; then f values per event.
// Returns, per event, the new entry id or 0 when the event was already seen.
const PUBLISH_LUA = `
local ttl = ARGV[1]
local f = tonumber(ARGV[2])
local out = {}
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ttl) then
    local base = 2 + f + (i - 2) * f
    local args = {}
    for j = 1, f do
      args[#args + 1] = ARGV[2 + j]
      args[#args + 1] = ARGV[base + j]
    end
    out[#out + 1] = redis.call('XADD', KEYS[1], '*', unpack(args))
  else
    out[#out + 1] = 0
  end
end
return out
`;

export const DEAD_LETTER_FIELDS = ['source', 'event_id', 'reason', 'raw', 'run_id', 'failed_at'] as const;

export interface DeadLetter {
  reason: string;
  raw: string;
  /** What makes two dead letters the same one (default: the raw text, so a re-collected bad record is kept once). */
  key?: string;
}

export interface PublishCounts {
  appended: number;
  duplicates: number;
}

type WithPublish = Redis & { strataPublish(numKeys: number, ...args: string[]): Promise<(string | number)[]> };

/** Events per Lua call: large enough to amortise the round trip, small enough to keep Redis responsive. */
const EVENTS_PER_CALL = 200;

export class StreamPublisher {
  private readonly redis: WithPublish;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly retentionSeconds: number,
  ) {
    if (!('strataPublish' in redis)) redis.defineCommand('strataPublish', { lua: PUBLISH_LUA });
    this.redis = redis as WithPublish;
  }

  /** Appends events not seen before; returns how many were appended and how many were duplicates. */
  publish(source: string, events: EventEnvelope[]): Promise<PublishCounts> {
    return this.append(
      streamKey(this.prefix, source),
      [ENVELOPE_FIELD],
      events.map((e) => ({ seen: seenKey(this.prefix, source, e.event_id), values: [encodeEnvelope(e)] })),
    );
  }

  /** Keeps records that failed to parse, with the reason; the same bad record collected twice is kept once. */
  deadLetter(source: string, runId: string, letters: DeadLetter[]): Promise<PublishCounts> {
    const failedAt = new Date().toISOString();
    return this.append(
      deadLetterKey(this.prefix, source),
      DEAD_LETTER_FIELDS,
      letters.map((l) => {
        const id = eventIdOf(source, l.key ?? 'dead-letter', l.raw);
        return { seen: seenKey(this.prefix, source, `dlq:${id}`), values: [source, id, l.reason, l.raw, runId, failedAt] };
      }),
    );
  }

  private async append(stream: string, fields: readonly string[], items: { seen: string; values: string[] }[]): Promise<PublishCounts> {
    const counts: PublishCounts = { appended: 0, duplicates: 0 };
    for (let i = 0; i < items.length; i += EVENTS_PER_CALL) {
      const slice = items.slice(i, i + EVENTS_PER_CALL);
      let ids: (string | number)[];
      try {
        ids = await this.redis.strataPublish(
          slice.length + 1,
          stream,
          ...slice.map((s) => s.seen),
          String(Math.round(this.retentionSeconds)),
          String(fields.length),
          ...fields,
          ...slice.flatMap((s) => s.values),
        );
      } catch (error) {
        throw new TransientError(`Redis refused an append to ${stream}`, { cause: error });
      }
      for (const id of ids) id === 0 ? counts.duplicates++ : counts.appended++;
    }
    return counts;
  }
}
