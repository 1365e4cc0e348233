// Reads one stream (a source's events, or its dead letters) for one consumer of the bronze group: entries re-delivered
// to it (its own pending ones, or ones claimed from consumers idle past claimIdleMillis), then new entries batched by
// rows, bytes, time and the day they were received.
import type { Redis } from 'ioredis';
import { ingestDayOf } from '../lake/bronze-schema.ts';
import { TransientError } from '../core/errors.ts';
import { BRONZE_GROUP } from '../streams/keys.ts';
import { DEAD_LETTER_FIELDS } from '../streams/publisher.ts';
import type { StreamKind } from './batch-files.ts';
import type { StreamConnection } from './stream-connection.ts';

/** One stream entry: its id and its envelope's JSON bytes (undefined when the entry is not an envelope entry). */
export interface StreamEntry {
  id: string;
  data?: Buffer;
  /** What the entry held when it is not an envelope entry, for the dead-letter record. */
  raw?: string;
}

export interface StreamReaderOptions {
  maxBatchRows: number;
  maxBatchBytes: number;
  /** A batch waits at most this long for more entries before it is written (following mode). */
  flushIntervalMillis: number;
  /** Pending entries idle this long belong to a dead consumer and are claimed. */
  claimIdleMillis: number;
}

// Replies are read as Buffers: measured 40 % less Node CPU than strings, and the envelope bytes go to the NDJSON file as
// they are (decision 0003). Only ids and the field name are decoded.
type RawEntry = [id: Buffer, fields: Buffer[] | null];
const READ_CHUNK = 10000;
const ENVELOPE = Buffer.from('envelope');

const rawText = (fields: Buffer[] | null) => JSON.stringify(fields?.map((f) => f.toString('utf8')) ?? null);

function toEvent([idBytes, fields]: RawEntry): StreamEntry {
  const id = idBytes.toString('latin1');
  if (fields && fields.length === 2 && fields[0]!.equals(ENVELOPE)) return { id, data: fields[1] };
  return { id, raw: rawText(fields) };
}

/**
 * A dead letter's fields become one JSON object (the dead-letter table's columns). An entry that lacks some is kept
 * all the same, its fields as its raw text: a dead letter has nowhere else to go.
 */
function toDeadLetter([idBytes, fields]: RawEntry): StreamEntry {
  const id = idBytes.toString('latin1');
  const record: Record<string, string> = {};
  for (let i = 0; fields && i + 1 < fields.length; i += 2)
    record[fields[i]!.toString('latin1')] = fields[i + 1]!.toString('utf8');
  const complete = DEAD_LETTER_FIELDS.every((f) => f in record);
  const row = complete
    ? Object.fromEntries(DEAD_LETTER_FIELDS.map((f) => [f, record[f]]))
    : {
        source: record.source ?? null,
        reason: `dead-letter stream entry ${id} lacks some of ${DEAD_LETTER_FIELDS.join(', ')}`,
        raw: rawText(fields),
      };
  return { id, data: Buffer.from(JSON.stringify(row)) };
}

const DECODERS: Record<StreamKind, (raw: RawEntry) => StreamEntry> = { events: toEvent, 'dead-letters': toDeadLetter };

const sizeOf = (e: StreamEntry) => e.data?.length ?? e.raw?.length ?? 0;

export class StreamReader {
  /** Entries read past a batch's byte limit, kept for the next batch (they are pending for us meanwhile). */
  private carry: StreamEntry[] = [];
  private readonly toEntry: (raw: RawEntry) => StreamEntry;

  constructor(
    private readonly redis: Redis,
    /** A connection of its own for new events: a blocking read must not hold up acknowledges, and its replies are parsed fast. */
    private readonly connection: StreamConnection,
    readonly key: string,
    readonly consumer: string,
    private readonly options: StreamReaderOptions,
    readonly kind: StreamKind = 'events',
  ) {
    this.toEntry = DECODERS[kind];
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.key, BRONZE_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP'))
        throw new TransientError(`cannot create consumer group on ${this.key}`, { cause: error });
    }
  }

  /** True when the next readNew starts with entries an earlier read fetched. */
  get hasCarry(): boolean {
    return this.carry.length > 0;
  }

  /**
   * This consumer's own unacknowledged entries, oldest first (a previous run of it died mid-batch, or a batch was
   * abandoned). They include any carried-over entries, so the carry is dropped: each entry is handled once.
   */
  async ownPending(): Promise<StreamEntry[]> {
    this.carry = [];
    const reply = (await this.redis.xreadgroupBuffer(
      'GROUP',
      BRONZE_GROUP,
      this.consumer,
      'COUNT',
      this.options.maxBatchRows,
      'STREAMS',
      this.key,
      '0',
    )) as [string, RawEntry[]][] | null;
    return (reply?.[0]?.[1] ?? []).map(this.toEntry);
  }

  /** Claims entries other consumers left pending past claimIdleMillis (XAUTOCLAIM); they are ours from now on. */
  async claimAbandoned(): Promise<{ entries: StreamEntry[]; deleted: number }> {
    const entries: StreamEntry[] = [];
    let deleted = 0;
    let start = '0-0';
    do {
      const [next, claimed, deletedIds] = (await this.redis.callBuffer(
        'XAUTOCLAIM',
        this.key,
        BRONZE_GROUP,
        this.consumer,
        this.options.claimIdleMillis,
        start,
        'COUNT',
        Math.min(READ_CHUNK, this.options.maxBatchRows - entries.length),
      )) as [Buffer, RawEntry[], Buffer[]];
      entries.push(...claimed.map(this.toEntry));
      deleted += deletedIds?.length ?? 0;
      start = next.toString('latin1');
    } while (start !== '0-0' && entries.length < this.options.maxBatchRows);
    return { entries, deleted };
  }

  /**
   * New entries, up to maxBatchRows or maxBatchBytes, all received on the same UTC day. With `waitMillis` > 0 it blocks
   * for the first entry that long, then keeps filling the batch until flushIntervalMillis after that entry.
   */
  async readNew(waitMillis = 0): Promise<StreamEntry[]> {
    const { maxBatchRows, maxBatchBytes, flushIntervalMillis } = this.options;
    const entries: StreamEntry[] = [];
    let bytes = 0;
    let day = -1;
    const take = (incoming: StreamEntry[]): boolean => {
      for (let i = 0; i < incoming.length; i++) {
        const size = sizeOf(incoming[i]!);
        // A batch is one bronze file, in the partition of the day its entries were received: it never spans two days.
        const entryDay = ingestDayOf(incoming[i]!.id);
        if (
          entries.length > 0 &&
          (bytes + size > maxBatchBytes || entries.length >= maxBatchRows || entryDay !== day)
        ) {
          this.carry = incoming.slice(i);
          return false;
        }
        day = entryDay;
        entries.push(incoming[i]!);
        bytes += size;
      }
      return true;
    };
    const carried = this.carry;
    this.carry = [];
    if (!take(carried)) return entries;
    let deadline = entries.length ? Date.now() + (waitMillis > 0 ? flushIntervalMillis : 0) : Number.POSITIVE_INFINITY;
    while (entries.length < maxBatchRows && bytes < maxBatchBytes) {
      const remaining = entries.length ? deadline - Date.now() : waitMillis;
      const block = entries.length === 0 ? waitMillis : Math.max(0, Math.min(remaining, 250));
      const count = Math.min(READ_CHUNK, maxBatchRows - entries.length);
      const got = await this.fetch(count, block);
      if (!take(got)) break;
      if (entries.length && deadline === Number.POSITIVE_INFINITY)
        deadline = waitMillis > 0 ? Date.now() + flushIntervalMillis : Date.now();
      if (got.length === 0 && (entries.length === 0 || Date.now() >= deadline)) break;
      if (got.length < count && waitMillis === 0) break;
    }
    return entries;
  }

  /**
   * New entries for this consumer. Events come through the writer's own connection and parser (the hot path); dead
   * letters, few and never waited for, through ioredis.
   */
  private async fetch(count: number, blockMillis: number): Promise<StreamEntry[]> {
    if (this.kind === 'events')
      return this.connection.readGroup(BRONZE_GROUP, this.consumer, this.key, count, blockMillis);
    const reply = (await this.redis.xreadgroupBuffer(
      'GROUP',
      BRONZE_GROUP,
      this.consumer,
      'COUNT',
      count,
      'STREAMS',
      this.key,
      '>',
    )) as [string, RawEntry[]][] | null;
    return (reply?.[0]?.[1] ?? []).map(this.toEntry);
  }

  async ack(entries: StreamEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += READ_CHUNK) {
      await this.redis.xack(this.key, BRONZE_GROUP, ...entries.slice(i, i + READ_CHUNK).map((e) => e.id));
    }
  }
}
