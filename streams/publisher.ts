// Appends events to a source's stream with exact-safe dedup (DESIGN.md contract 2), in one Lua script per batch:
//  1. a Bloom filter shared by every collector (a Redis bitmap) answers "new" or "maybe seen";
//  2. a "maybe" is confirmed exactly against the seen-ids of the retention window (one Redis hash per UTC day,
//     newest first); only a confirmed id is dropped, so a Bloom false positive still gets through;
//  3. a new event is marked (Bloom bits + today's bucket) and appended in the same atomic step, so a crash in between
//     cannot turn a retry into a "duplicate".
// The Bloom filter saves the exact search of the whole window for every new event; see docs/decisions/0009.
import { ensureNoEviction } from './eviction.ts';
import type { Redis } from 'ioredis';
import formulas from 'bloom-filters/dist/formulas.js';
import type { Config } from '../core/config.ts';
import { TransientError } from '../core/errors.ts';
import { encodeEnvelope, ENVELOPE_FIELD, eventIdOf, type EventEnvelope } from './envelope.ts';
import { bloomKey, deadLetterKey, seenBucketKey, streamKey } from './keys.ts';

// KEYS[1] = stream, KEYS[2] = Bloom bitmap, KEYS[3..] = seen buckets, today's first.
// ARGV[1] = number of 32-bit words, ARGV[2] = k (bits set per id), ARGV[3] = bucket TTL (s), ARGV[4] = f (fields per
// event), ARGV[5..4+f] = field names, then per event its id (hex, a SHA-256 prefix: already uniform) and its f values.
// The filter is blocked: an id's k bits all lie in one 32-bit word. The whole batch costs one BITFIELD_RO (every
// event's word), one BITFIELD (the words it changed), one HSET (the new ids) and one XADD per new event. A call holds
// no id twice (the publisher counts a repeat within a call as a duplicate itself), so "maybe" needs only the buckets.
// Returns { appended, duplicates, "maybe"s that were new }.
const PUBLISH_LUA = `
local words, k, ttl, f = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local buckets = #KEYS - 2
local first = 5 + f
local stride = 1 + f
local n = (#ARGV - first + 1) / stride
if n == 0 then return {0, 0, 0} end
local wordOf, maskOf, gets = {}, {}, {}
for e = 1, n do
  local id = ARGV[first + (e - 1) * stride]
  local word = tonumber(string.sub(id, 1, 8), 16) % words
  local b = tonumber(string.sub(id, 9, 16), 16)
  -- An odd step visits 32 distinct bit positions before repeating, so the k bits are distinct.
  local c = tonumber(string.sub(id, 17, 24), 16)
  if c % 2 == 0 then c = c + 1 end
  local mask = 0
  for h = 1, k do mask = bit.bor(mask, bit.lshift(1, (b + h * c) % 32)) end
  wordOf[e], maskOf[e] = word, mask
  gets[#gets + 1] = 'GET'
  gets[#gets + 1] = 'u32'
  gets[#gets + 1] = '#' .. word
end
local read = redis.call('BITFIELD_RO', KEYS[2], unpack(gets))
local current, order = {}, {}
local added, marks = 0, {}
local falsePositives = 0
local args = {}
for j = 1, f do args[2 * j - 1] = ARGV[4 + j] end
for e = 1, n do
  local at = first + (e - 1) * stride
  local id, word, mask = ARGV[at], wordOf[e], maskOf[e]
  local value = current[word]
  if value == nil then value = read[e] end
  local seen = false
  if bit.band(value, mask) == mask then
    for j = 1, buckets do
      if redis.call('HEXISTS', KEYS[2 + j], id) == 1 then seen = true break end
    end
    if not seen then falsePositives = falsePositives + 1 end
  else
    -- A word is in current only once changed: the first change puts it in order, for the one BITFIELD below.
    if current[word] == nil then order[#order + 1] = word end
    current[word] = bit.bor(value, mask)
  end
  if not seen then
    marks[#marks + 1] = id
    marks[#marks + 1] = 1
    for j = 1, f do args[2 * j] = ARGV[at + j] end
    redis.call('XADD', KEYS[1], '*', unpack(args))
    added = added + 1
  end
end
if #order > 0 then
  local sets = {}
  for _, word in ipairs(order) do
    local v = current[word]
    if v < 0 then v = v + 4294967296 end
    sets[#sets + 1] = 'SET'
    sets[#sets + 1] = 'u32'
    sets[#sets + 1] = '#' .. word
    sets[#sets + 1] = v
  end
  redis.call('BITFIELD', KEYS[2], unpack(sets))
end
if #marks > 0 then redis.call('HSET', KEYS[3], unpack(marks)) end
redis.call('EXPIRE', KEYS[3], ttl)
return {added, n - added, falsePositives}
`;

export const DEAD_LETTER_FIELDS = ['source', 'event_id', 'reason', 'raw', 'run_id', 'failed_at'] as const;

/** How much of a record too large to keep (or of a page whose layout changed) its dead letter shows. */
export const DEAD_LETTER_PREVIEW_BYTES = 4096;

/** The first `bytes` of a text (cut on a character boundary), and how much was left out. */
export function previewOf(text: string, bytes = DEAD_LETTER_PREVIEW_BYTES): string {
  const whole = Buffer.from(text);
  if (whole.length <= bytes) return text;
  let end = bytes;
  while (end > 0 && (whole[end]! & 0xc0) === 0x80) end--; // not inside a UTF-8 sequence
  return `${whole.toString('utf8', 0, end)}… [preview: ${whole.length - end} more bytes not kept]`;
}

export interface DeadLetter {
  reason: string;
  raw: string;
  /** What makes two dead letters the same one (default: the raw text, so a re-collected bad record is kept once). */
  key?: string;
}

export interface PublishCounts {
  appended: number;
  duplicates: number;
  /** Bloom "maybe"s that the exact check found new (false positives, or ids older than the retention). */
  bloomFalsePositives: number;
}

export interface DedupOptions {
  retentionDays: number;
  capacity: number;
  falsePositiveRate: number;
}

type WithPublish = Redis & { strataPublish(numKeys: number, ...args: string[]): Promise<number[]> };

/** Events per Lua call (at most 1,000: the script unpacks up to 4 values an event, and Lua takes 8,000): measured best of 200/500/1000 (≈ 5 ms of Redis time a call, so other clients stay served). */
const EVENTS_PER_CALL = 500;
/** Calls in flight at once: Node prepares the next batch while Redis runs the previous one. */
const CALLS_IN_FLIGHT = 4;

/**
 * The Bloom filter's shape from bloom-filters' formulas: bits and hashes of the standard filter for the capacity and
 * rate, with 50 % more bits because a one-word blocked filter loses some accuracy for its speed (k stays ≤ 16 so the
 * bits of a word are not crowded). The bitmap is a whole number of 32-bit words.
 */
export function bloomShape(
  capacity: number,
  falsePositiveRate: number,
): { bits: number; hashes: number; words: number } {
  const standard = formulas.optimalFilterSize(capacity, falsePositiveRate);
  const words = Math.ceil((standard * 1.5) / 32);
  return { bits: words * 32, hashes: Math.min(16, Math.max(1, formulas.optimalHashes(standard, capacity))), words };
}

const utcDay = (millis: number) => new Date(millis).toISOString().slice(0, 10).replaceAll('-', '');

export class StreamPublisher {
  private readonly redis: WithPublish;
  private readonly shape: ReturnType<typeof bloomShape>;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly dedup: DedupOptions,
    /** A dead letter's raw text past this many bytes is kept as a preview (STRATA_MAX_EVENT_BYTES). */
    private readonly maxRawBytes = 1_048_576,
  ) {
    if (!('strataPublish' in redis)) redis.defineCommand('strataPublish', { lua: PUBLISH_LUA });
    this.redis = redis as WithPublish;
    this.shape = bloomShape(dedup.capacity, dedup.falsePositiveRate);
  }

  /** A publisher with the dedup settings of the configuration. */
  static fromConfig(
    redis: Redis,
    config: Pick<Config, 'redisPrefix' | 'dedupRetentionDays' | 'dedup' | 'maxEventBytes'>,
  ): StreamPublisher {
    return new StreamPublisher(
      redis,
      config.redisPrefix,
      { retentionDays: config.dedupRetentionDays, ...config.dedup },
      config.maxEventBytes,
    );
  }

  /** Appends events not seen before; returns how many were appended and how many were duplicates. */
  publish(source: string, events: EventEnvelope[]): Promise<PublishCounts> {
    return this.append(
      source,
      streamKey(this.prefix, source),
      [ENVELOPE_FIELD],
      events.map((e) => ({ id: e.event_id, values: [encodeEnvelope(e)] })),
    );
  }

  /**
   * Keeps records that failed to parse, with the reason; the same bad record collected twice is kept once. A raw text
   * over `maxRawBytes` is kept as a preview (its whole text still decides whether it was seen).
   */
  deadLetter(source: string, runId: string, letters: DeadLetter[]): Promise<PublishCounts> {
    const failedAt = new Date().toISOString();
    return this.append(
      `${source}:dlq`,
      deadLetterKey(this.prefix, source),
      DEAD_LETTER_FIELDS,
      letters.map((l) => {
        const id = eventIdOf(source, l.key ?? 'dead-letter', l.raw);
        const raw =
          l.raw.length > this.maxRawBytes / 3 && Buffer.byteLength(l.raw) > this.maxRawBytes ? previewOf(l.raw) : l.raw;
        return { id, values: [source, id, l.reason, raw, runId, failedAt] };
      }),
    );
  }

  private async append(
    space: string,
    stream: string,
    fields: readonly string[],
    items: { id: string; values: string[] }[],
  ): Promise<PublishCounts> {
    await ensureNoEviction(this.redis as unknown as Redis);
    const counts: PublishCounts = { appended: 0, duplicates: 0, bloomFalsePositives: 0 };
    const now = Date.now();
    const buckets = Array.from({ length: this.dedup.retentionDays + 1 }, (_, d) =>
      seenBucketKey(this.prefix, space, utcDay(now - d * 86_400_000)),
    );
    const ttlSeconds = String((this.dedup.retentionDays + 1) * 86_400);
    const calls: (() => Promise<void>)[] = [];
    for (let i = 0; i < items.length; i += EVENTS_PER_CALL) {
      // An id twice in one call is a duplicate of the first: the script marks its new ids only at the call's end.
      const ids = new Set<string>();
      const slice = items.slice(i, i + EVENTS_PER_CALL).filter((item) => ids.size < ids.add(item.id).size);
      counts.duplicates += Math.min(EVENTS_PER_CALL, items.length - i) - slice.length;
      calls.push(async () => {
        let reply: number[];
        try {
          reply = await this.redis.strataPublish(
            2 + buckets.length,
            stream,
            bloomKey(this.prefix, space),
            ...buckets,
            String(this.shape.words),
            String(this.shape.hashes),
            ttlSeconds,
            String(fields.length),
            ...fields,
            ...slice.flatMap((s) => [s.id, ...s.values]),
          );
        } catch (error) {
          throw new TransientError(`Redis refused an append to ${stream}`, { cause: error });
        }
        counts.appended += Number(reply[0]);
        counts.duplicates += Number(reply[1]);
        counts.bloomFalsePositives += Number(reply[2]);
      });
    }
    // A few calls in flight at once; each is atomic on its own, and order within the stream follows call order.
    for (let i = 0; i < calls.length; i += CALLS_IN_FLIGHT)
      await Promise.all(calls.slice(i, i + CALLS_IN_FLIGHT).map((c) => c()));
    return counts;
  }
}
