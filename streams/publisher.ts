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
import { bloomKey, deadLetterKey, filePositionKey, seenBucketKey, streamKey } from './keys.ts';

// KEYS[1] = stream, KEYS[2] = Bloom bitmap, KEYS[3..] = seen buckets, today's first.
// ARGV[1] = bucket TTL (s), ARGV[2] = f (fields per event), ARGV[3..2+f] = field names, then per event: its Bloom word
// ('#<index>'), its mask (the k bits, as a signed 32-bit number), its id and its f values.
// The filter is blocked: an id's k bits all lie in one 32-bit word; the publisher derives word and mask from the id
// (bloomProbe), so the script does no hashing. The whole batch costs one BITFIELD_RO (every event's word), one
// BITFIELD (the words it changed), one HSET (the new ids) and one XADD per new event. A call holds no id twice (the
// publisher counts a repeat within a call as a duplicate itself), so "maybe" needs only the buckets. Tables are
// filled by counters: `#t` is a search in Lua 5.1.
// Returns { appended, duplicates, "maybe"s that were new }.
const PUBLISH_LUA = `
local ttl, f = ARGV[1], tonumber(ARGV[2])
local buckets = #KEYS - 2
local first = 3 + f
local stride = 3 + f
local last = #ARGV
if last < first then return {0, 0, 0} end
local gets, g = {}, 0
for at = first, last, stride do
  gets[g + 1] = 'GET'
  gets[g + 2] = 'u32'
  gets[g + 3] = ARGV[at]
  g = g + 3
end
local read = redis.call('BITFIELD_RO', KEYS[2], unpack(gets))
local current, order, o = {}, {}, 0
local marks, m = {}, 0
local n, added, falsePositives = 0, 0, 0
local stream, field = KEYS[1], ARGV[3]
local args = {}
for j = 1, f do args[2 * j - 1] = ARGV[2 + j] end
for at = first, last, stride do
  n = n + 1
  local word, mask, id = ARGV[at], tonumber(ARGV[at + 1]), ARGV[at + 2]
  local value = current[word] or read[n]
  local seen = false
  if bit.band(value, mask) == mask then
    for j = 1, buckets do
      if redis.call('HEXISTS', KEYS[2 + j], id) == 1 then seen = true break end
    end
    if not seen then falsePositives = falsePositives + 1 end
  else
    -- A word is in current only once changed: the first change puts it in order, for the one BITFIELD below.
    if current[word] == nil then
      o = o + 1
      order[o] = word
    end
    current[word] = bit.bor(value, mask)
  end
  if not seen then
    marks[m + 1] = id
    marks[m + 2] = '1'
    m = m + 2
    if f == 1 then
      redis.call('XADD', stream, '*', field, ARGV[at + 3])
    else
      for j = 1, f do args[2 * j] = ARGV[at + 2 + j] end
      redis.call('XADD', stream, '*', unpack(args))
    end
    added = added + 1
  end
end
if o > 0 then
  local sets = {}
  for i = 1, o do
    local word = order[i]
    local v = current[word]
    if v < 0 then v = v + 4294967296 end
    sets[4 * i - 3] = 'SET'
    sets[4 * i - 2] = 'u32'
    sets[4 * i - 1] = word
    sets[4 * i] = v
  end
  redis.call('BITFIELD', KEYS[2], unpack(sets))
end
if m > 0 then redis.call('HSET', KEYS[3], unpack(marks)) end
redis.call('EXPIRE', KEYS[3], ttl)
return {added, n - added, falsePositives}
`;

// Rows identified by their position in a file (decision 0035): a file's rows come in order, so "seen" is one number, the
// last row of the file in the stream. KEYS[1] = stream, KEYS[2] = the file's watermark. ARGV[1] = its TTL (s),
// ARGV[2] = the field name, ARGV[3] = the last row the previous call for this file carried (0 for a run's first),
// ARGV[4] = the call's rows (increasing, comma-separated), ARGV[5] = its first row, ARGV[6] = its last, ARGV[7] = how
// many, ARGV[8] = their values, one per row, each ended by a newline (an envelope's JSON text holds none): one argument
// for the call rather than two a row, since Node's cost a row is what bounds the rate. The rows are read only when
// the watermark lies between the first and the last. A watermark below ARGV[3] means that an earlier call did not
// land: the call is refused (-1), since appending past it would make the missing rows look seen. Returns { appended,
// duplicates, 0 }, or { -1, watermark, 0 }.
const POSITIONS_LUA = `
local seen = tonumber(redis.call('GET', KEYS[2]) or '0')
if seen < tonumber(ARGV[3]) then return {-1, seen, 0} end
local stream, field, values = KEYS[1], ARGV[2], ARGV[8]
local first, last, n = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local find, sub = string.find, string.sub
local added = 0
if last > seen then
  local nextRow
  if first <= seen then nextRow = string.gmatch(ARGV[4], '%d+') end
  local at = 1
  for _ = 1, n do
    local stop = find(values, '\\n', at, true)
    if not nextRow or tonumber(nextRow()) > seen then
      redis.call('XADD', stream, '*', field, sub(values, at, stop - 1))
      added = added + 1
    end
    at = stop + 1
  end
  redis.call('SET', KEYS[2], last, 'EX', ARGV[1])
elseif seen > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return {added, n - added, 0}
`;

/** `<16 hex digits of the file's SHA-256>:<row>`: the position the files collector gives a row. */
const FILE_POSITION = /^([0-9a-f]{16}):([1-9][0-9]{0,14})$/;

/**
 * Where an id lies in the blocked Bloom filter: its word (`#<index>`, as BITFIELD names it) and the mask of its k bits,
 * as a signed 32-bit number (what Lua's bit library compares). From the id's first 24 hex digits (a SHA-256 prefix,
 * already uniform): the word, a start bit and an odd step, which visits 32 distinct bits before repeating.
 */
export function bloomProbe(id: string, words: number, k: number): [word: string, mask: string] {
  const word = Number.parseInt(id.slice(0, 8), 16) % words;
  const start = Number.parseInt(id.slice(8, 16), 16);
  let step = Number.parseInt(id.slice(16, 24), 16);
  if (step % 2 === 0) step++;
  let mask = 0;
  for (let h = 1; h <= k; h++) mask |= 1 << ((start + h * step) % 32);
  return [`#${word}`, String(mask)];
}

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

type WithPublish = Redis & {
  strataPublish(numKeys: number, ...args: string[]): Promise<number[]>;
  strataPublishPositions(numKeys: number, ...args: string[]): Promise<number[]>;
};

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

/** A group of calls given to a CallWindow together: settled once all of them are. */
interface CallGroup {
  left: number;
  failure?: { error: unknown };
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Runs calls in the order they were given, a few at a time, the next one sent as soon as one returns (Node encodes it
 * while Redis runs the others). One window serves every publish of a publisher, so a batch's calls queue behind the
 * previous batch's instead of waiting for them to return: Redis has the next call before Node is done with the one
 * after. Each call is atomic on its own, and order within a stream follows call order (one connection). A failure
 * stops the calls still queued, whichever batch they belong to (appending past rows that did not land would make them
 * look seen); calls already sent settle before their group is rejected.
 */
export class CallWindow {
  private readonly queue: { call: () => Promise<void>; group: CallGroup }[] = [];
  private running = 0;

  constructor(
    private readonly size: number,
    /** Awaited before the first call is sent (the check that Redis never evicts). */
    private readonly ready: () => Promise<void> = async () => {},
  ) {}

  /** Queues the calls at once, in order; resolves when all of them returned, or rejects with the first failure. */
  run(calls: readonly (() => Promise<void>)[]): Promise<void> {
    if (calls.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const group: CallGroup = { left: calls.length, resolve, reject };
      for (const call of calls) this.queue.push({ call, group });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.size && this.queue.length) {
      const { call, group } = this.queue.shift()!;
      this.running++;
      // Reactions run in the order they were registered: calls are sent in queue order.
      this.ready()
        .then(call)
        .then(
          () => this.finish(group),
          (error: unknown) => {
            group.failure ??= { error };
            for (const queued of this.queue.splice(0)) {
              queued.group.failure ??= { error };
              this.settle(queued.group);
            }
            this.finish(group);
          },
        );
    }
  }

  private finish(group: CallGroup): void {
    this.running--;
    this.settle(group);
    this.pump();
  }

  private settle(group: CallGroup): void {
    if (--group.left > 0) return;
    if (group.failure) group.reject(group.failure.error);
    else group.resolve();
  }
}

/** A script's reply, or a TransientError naming the stream Redis refused the append to. */
async function refusedAs(stream: string, reply: Promise<number[]>): Promise<number[]> {
  try {
    return await reply;
  } catch (error) {
    throw new TransientError(`Redis refused an append to ${stream}`, { cause: error });
  }
}

const utcDay = (millis: number) => new Date(millis).toISOString().slice(0, 10).replaceAll('-', '');

export class StreamPublisher {
  private readonly redis: WithPublish;
  private readonly shape: ReturnType<typeof bloomShape>;
  /** Per stream, the file whose rows were last sent and the last row sent: the next call's `previous`. */
  private readonly lastSent = new Map<string, { file: string; row: number }>();
  /** Every call of this publisher, in order (see CallWindow). */
  private readonly window: CallWindow;

  constructor(
    redis: Redis,
    private readonly prefix: string,
    private readonly dedup: DedupOptions,
    /** A dead letter's raw text past this many bytes is kept as a preview (STRATA_MAX_EVENT_BYTES). */
    private readonly maxRawBytes = 1_048_576,
  ) {
    if (!('strataPublish' in redis)) {
      redis.defineCommand('strataPublish', { lua: PUBLISH_LUA });
      redis.defineCommand('strataPublishPositions', { lua: POSITIONS_LUA });
    }
    this.redis = redis as WithPublish;
    this.window = new CallWindow(CALLS_IN_FLIGHT, () => ensureNoEviction(redis));
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

  /** How long dedup records live: the retention and the day being written (bucket and watermark TTL). */
  private ttlSeconds(): string {
    return String((this.dedup.retentionDays + 1) * 86_400);
  }

  /** Appends events not seen before; returns how many were appended and how many were duplicates. */
  publish(source: string, events: readonly EventEnvelope[]): Promise<PublishCounts> {
    return this.append(source, streamKey(this.prefix, source), [ENVELOPE_FIELD], events, (e, args) => {
      args.push(e.event_id, encodeEnvelope(e));
    });
  }

  /**
   * Appends events identified by their position in a file (natural key `<file hash>:<row>`, as the files collector
   * gives them, rows increasing within each file): a row at or below the file's watermark was seen, exactly, with no
   * Bloom filter or id record. Events of any other shape, or out of order, go through `publish`.
   */
  publishByPosition(source: string, events: readonly EventEnvelope[]): Promise<PublishCounts> {
    const positions: { file: string; row: number }[] = [];
    for (const e of events) {
      const match = FILE_POSITION.exec(e.natural_key);
      const row = Number(match?.[2]);
      const before = positions.at(-1);
      if (!match || (before && before.file === match[1] && row <= before.row)) return this.publish(source, events);
      positions.push({ file: match[1]!, row });
    }
    const stream = streamKey(this.prefix, source);
    const counts: PublishCounts = { appended: 0, duplicates: 0, bloomFalsePositives: 0 };
    const calls: (() => Promise<void>)[] = [];
    for (let i = 0; i < events.length; ) {
      const { file } = positions[i]!;
      const last = this.lastSent.get(stream);
      const previous = last?.file === file ? last.row : 0;
      let end = i;
      while (end < events.length && end - i < EVENTS_PER_CALL && positions[end]!.file === file) end++;
      this.lastSent.set(stream, { file, row: positions[end - 1]!.row });
      const from = i;
      calls.push(async () => {
        const rows: number[] = [];
        let values = '';
        for (let j = from; j < end; j++) {
          rows.push(positions[j]!.row);
          values += `${encodeEnvelope(events[j]!)}\n`;
        }
        const reply = await refusedAs(
          stream,
          this.redis.strataPublishPositions(
            2,
            stream,
            filePositionKey(this.prefix, source, file),
            this.ttlSeconds(),
            ENVELOPE_FIELD,
            String(previous),
            rows.join(','),
            String(rows[0]),
            String(rows.at(-1)),
            String(rows.length),
            values,
          ),
        );
        if (Number(reply[0]) < 0)
          throw new TransientError(
            `${stream}: rows of file ${file} after row ${reply[1]} did not reach the stream (an earlier append failed); collecting the file again appends them`,
          );
        counts.appended += Number(reply[0]);
        counts.duplicates += Number(reply[1]);
      });
      i = end;
    }
    return this.window.run(calls).then(() => counts);
  }

  /**
   * Keeps records that failed to parse, with the reason; the same bad record collected twice is kept once. A raw text
   * over `maxRawBytes` is kept as a preview (its whole text still decides whether it was seen).
   */
  deadLetter(source: string, runId: string, letters: readonly DeadLetter[]): Promise<PublishCounts> {
    const failedAt = new Date().toISOString();
    return this.append(`${source}:dlq`, deadLetterKey(this.prefix, source), DEAD_LETTER_FIELDS, letters, (l, args) => {
      // A key, where given, is the letter's whole identity: its kept text may be a preview, or encrypted anew each time.
      const id = l.key === undefined ? eventIdOf(source, 'dead-letter', l.raw) : eventIdOf(source, l.key, '');
      const raw =
        l.raw.length > this.maxRawBytes / 3 && Buffer.byteLength(l.raw) > this.maxRawBytes ? previewOf(l.raw) : l.raw;
      args.push(id, source, id, l.reason, raw, runId, failedAt);
    });
  }

  /**
   * Appends items in calls of EVENTS_PER_CALL, a few in flight. `write` pushes an item's id, then its values (one per
   * field); a call's arguments are written just before it is sent, so that Node encodes while Redis runs the others.
   */
  private append<T>(
    space: string,
    stream: string,
    fields: readonly string[],
    items: readonly T[],
    write: (item: T, args: string[]) => void,
  ): Promise<PublishCounts> {
    const counts: PublishCounts = { appended: 0, duplicates: 0, bloomFalsePositives: 0 };
    const now = Date.now();
    const buckets = Array.from({ length: this.dedup.retentionDays + 1 }, (_, d) =>
      seenBucketKey(this.prefix, space, utcDay(now - d * 86_400_000)),
    );
    const head = [
      stream,
      bloomKey(this.prefix, space),
      ...buckets,
      this.ttlSeconds(),
      String(fields.length),
      ...fields,
    ];
    const { words, hashes } = this.shape;
    const calls: (() => Promise<void>)[] = [];
    for (let i = 0; i < items.length; i += EVENTS_PER_CALL) {
      const end = Math.min(items.length, i + EVENTS_PER_CALL);
      calls.push(async () => {
        const args = head.slice();
        const item: string[] = [];
        // An id twice in one call is a duplicate of the first: the script marks its new ids only at the call's end.
        const ids = new Set<string>();
        for (let j = i; j < end; j++) {
          item.length = 0;
          write(items[j]!, item);
          const id = item[0]!;
          if (ids.size === ids.add(id).size) {
            counts.duplicates++;
            continue;
          }
          const [word, mask] = bloomProbe(id, words, hashes);
          args.push(word, mask);
          for (const value of item) args.push(value);
        }
        const reply = await refusedAs(stream, this.redis.strataPublish(2 + buckets.length, ...args));
        counts.appended += Number(reply[0]);
        counts.duplicates += Number(reply[1]);
        counts.bloomFalsePositives += Number(reply[2]);
      });
    }
    return this.window.run(calls).then(() => counts);
  }
}
