// A second consumer group that sees every entry a stream ever held: the fault tests count what entered the streams
// after bronze has trimmed them, and the trim must wait for this group as for any other.
import type { Redis } from 'ioredis';
import { decodeEnvelope, ENVELOPE_FIELD, type EventEnvelope } from '../../core/streams/envelope.ts';
import { trimAcknowledged } from '../../core/streams/trim.ts';

export const AUDIT_GROUP = 'audit';

/** Creates the audit group on a stream (and the stream), before anything is published to it. */
export async function startAudit(redis: Redis, stream: string): Promise<void> {
  await redis.xgroup('CREATE', stream, AUDIT_GROUP, '0', 'MKSTREAM');
}

/** Reads every entry the audit group has not seen, acknowledges it, then trims: returns the envelopes, in order. */
export async function auditAll(redis: Redis, stream: string): Promise<EventEnvelope[]> {
  const envelopes: EventEnvelope[] = [];
  for (;;) {
    const reply = (await redis.xreadgroup('GROUP', AUDIT_GROUP, 'auditor', 'COUNT', 10_000, 'STREAMS', stream, '>')) as [string, [string, string[]][]][] | null;
    const entries = reply?.[0]?.[1] ?? [];
    if (entries.length === 0) break;
    for (const [, fields] of entries) envelopes.push(decodeEnvelope(fields[fields.indexOf(ENVELOPE_FIELD) + 1]!));
    await redis.xack(stream, AUDIT_GROUP, ...entries.map(([id]) => id));
  }
  await trimAcknowledged(redis, stream);
  return envelopes;
}
