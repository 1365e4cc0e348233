// Raw records into envelopes (DESIGN.md contract 1) or dead letters with the reason: what the ingest runner does with
// each record, and what replaying a dead letter does with it again.
import { createHash } from 'node:crypto';
import { describeError } from '../core/errors.ts';
import { eventIdOf, type EventEnvelope } from '../streams/envelope.ts';
import { previewOf, type DeadLetter } from '../streams/publisher.ts';
import type { RawRecord, SourceDefinition } from './source.ts';

/** Starts the reason of a record its collector rejected: its text is not the record as sent, so replay leaves it. */
export const REJECTED_BY_COLLECTOR = 'rejected by the collector: ';

/**
 * Parses each raw record into an envelope (id from its content), or into a dead letter with the reason: the
 * collector's (`rejected`), its size past `maxEventBytes`, or the parser's.
 */
export function toEnvelopes(
  source: Pick<SourceDefinition, 'name' | 'schemaVersion' | 'identity' | 'parse'>,
  records: readonly RawRecord[],
  runId: string,
  maxEventBytes = Number.POSITIVE_INFINITY,
): { events: EventEnvelope[]; letters: DeadLetter[] } {
  const ingestedAt = new Date().toISOString();
  const events: EventEnvelope[] = [];
  const letters: DeadLetter[] = [];
  const byPosition = source.identity === 'position';
  for (const record of records) {
    if (record.rejected) {
      letters.push({ reason: `${REJECTED_BY_COLLECTOR}${record.rejected}`, raw: record.text });
      continue;
    }
    // Length first: a UTF-8 byte count is only needed when the text could be over the limit.
    const bytes = record.text.length * 3 > maxEventBytes ? Buffer.byteLength(record.text) : 0;
    if (bytes > maxEventBytes) {
      // Only a preview is kept (Redis and the lake stay bounded); the whole text's hash tells one such record from another.
      letters.push({
        reason: `record of ${bytes} bytes is larger than STRATA_MAX_EVENT_BYTES (${maxEventBytes}); only a preview of it is kept; raise the limit if such records are expected`,
        raw: previewOf(record.text),
        key: `oversized:${createHash('sha256').update(record.text).digest('hex')}`,
      });
      continue;
    }
    const parsed = safeParse(source, record.text);
    if (!parsed.ok) {
      letters.push({ reason: parsed.reason, raw: record.text });
      continue;
    }
    const naturalKey = byPosition ? record.position : parsed.naturalKey;
    if (naturalKey === undefined) {
      letters.push({ reason: 'the collector gave no position for a source identified by position', raw: record.text });
      continue;
    }
    events.push({
      source: source.name,
      event_id: eventIdOf(source.name, naturalKey, record.text),
      natural_key: naturalKey,
      observed_at: parsed.observedAt,
      ingested_at: ingestedAt,
      schema_version: source.schemaVersion,
      run_id: runId,
      payload: record.text,
    });
  }
  return { events, letters };
}

/** A parser that throws is treated like one that rejects: the record is dead-lettered with the error's message. */
function safeParse(source: Pick<SourceDefinition, 'parse'>, raw: string) {
  try {
    return source.parse(raw);
  } catch (error) {
    return { ok: false as const, reason: `parser error: ${describeError(error)}` };
  }
}
