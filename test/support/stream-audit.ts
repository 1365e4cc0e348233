// A second consumer group that sees every entry a stream ever held: the fault tests count what entered the streams
// after bronze has trimmed them, and the trim must wait for this group as for any other.
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import { decodeEnvelope, ENVELOPE_FIELD, type EventEnvelope } from '../../streams/envelope.ts';
import { trimAcknowledged } from '../../streams/trim.ts';
import type { Tick } from './candles.ts';

export const AUDIT_GROUP = 'audit';

/** Creates the audit group on a stream (and the stream), before anything is published to it. */
export async function startAudit(redis: Redis, stream: string): Promise<void> {
  await redis.xgroup('CREATE', stream, AUDIT_GROUP, '0', 'MKSTREAM');
}

/** Reads every entry the audit group has not seen, acknowledges it, then trims: returns the envelopes, in order. */
export async function auditAll(redis: Redis, stream: string): Promise<EventEnvelope[]> {
  const envelopes: EventEnvelope[] = [];
  for (;;) {
    const reply = (await redis.xreadgroup('GROUP', AUDIT_GROUP, 'auditor', 'COUNT', 10_000, 'STREAMS', stream, '>')) as
      | [string, [string, string[]][]][]
      | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    for (const [, fields] of entries) envelopes.push(decodeEnvelope(fields[fields.indexOf(ENVELOPE_FIELD) + 1]!));
    await redis.xack(stream, AUDIT_GROUP, ...entries.map(([id]) => id));
  }
  await trimAcknowledged(redis, stream);
  return envelopes;
}

/** Every tick that entered a crypto stream (a tick is never sent again with another price), and the entries read. */
export async function auditedTicks(redis: Redis, stream: string): Promise<{ ticks: Tick[]; entries: number }> {
  const envelopes = await auditAll(redis, stream);
  const byKey = new Map<string, Tick>();
  for (const envelope of envelopes) {
    const tick = JSON.parse(envelope.payload) as Tick;
    const key = `${tick.symbol}|${tick.ts}`;
    assert.ok(!byKey.has(key) || byKey.get(key)!.price === tick.price, `two prices for ${key}`);
    byKey.set(key, { symbol: tick.symbol, ts: tick.ts, price: tick.price });
  }
  return { ticks: [...byKey.values()], entries: envelopes.length };
}
