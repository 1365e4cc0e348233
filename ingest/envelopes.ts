// Raw records into envelopes (DESIGN.md contract 1) or dead letters with the reason: what the ingest runner does with
// each record, and what replaying a dead letter does with it again.
import { createHash } from 'node:crypto';
import { describeError } from '../core/errors.ts';
import { eventIdOf, type EventEnvelope } from '../streams/envelope.ts';
import { previewOf, type DeadLetter } from '../streams/publisher.ts';
import type { RecordProtector } from './protect.ts';
import type { RawRecord, SourceDefinition } from './source.ts';

/** Starts the reason of a record its collector rejected: its text is not the record as sent, so replay leaves it. */
export const REJECTED_BY_COLLECTOR = 'rejected by the collector: ';

/** What became of a batch of records: events to publish, dead letters, and sensitive fields dropped (by name). */
export interface Envelopes {
  events: EventEnvelope[];
  letters: DeadLetter[];
  dropped: Record<string, number>;
}

/**
 * Parses each raw record into an envelope (id from its content), or into a dead letter with the reason: the
 * collector's (`rejected`), its size past `maxEventBytes`, or the parser's. With a `protector` (a source with
 * sensitive fields), the parser reads the clear record and everything kept holds only its protected form.
 */
export function toEnvelopes(
  source: Pick<SourceDefinition, 'name' | 'schemaVersion' | 'identity' | 'parse'>,
  records: readonly RawRecord[],
  runId: string,
  maxEventBytes = Number.POSITIVE_INFINITY,
  protector?: RecordProtector,
): Envelopes {
  const ingestedAt = new Date().toISOString();
  const events: EventEnvelope[] = [];
  const letters: DeadLetter[] = [];
  const dropped: Record<string, number> = {};
  const byPosition = source.identity === 'position';
  // A record a collector rejected, or one too large, may not have the shape its fields are found by: it is kept encrypted whole.
  // The kept text of a protected letter is random: its key (what makes a re-collected one a duplicate) is the clear text's keyed hash.
  const letter = (reason: string, text: string, kept: (text: string) => string, key?: string): DeadLetter =>
    protector
      ? { reason, raw: kept(text), key: key ?? protector.letterKey(text) }
      : { reason, raw: text, ...(key ? { key } : {}) };
  const fields = (text: string) => protector!.protectText(text);
  const whole = (text: string) => protector!.protectWhole(text);
  for (const collected of records) {
    if (collected.rejected) {
      letters.push(letter(`${REJECTED_BY_COLLECTOR}${collected.rejected}`, collected.text, whole));
      continue;
    }
    const text = protector ? protector.clear(collected.text) : collected.text;
    // Length first: a UTF-8 byte count is only needed when the text could be over the limit.
    const bytes = text.length * 3 > maxEventBytes ? Buffer.byteLength(text) : 0;
    if (bytes > maxEventBytes) {
      // Only a preview is kept (Redis and the lake stay bounded); the whole text's hash tells one such record from another.
      const digest = protector ? protector.letterKey(text) : createHash('sha256').update(text).digest('hex');
      const reason = `record of ${bytes} bytes is larger than STRATA_MAX_EVENT_BYTES (${maxEventBytes}); only a preview of it is kept; raise the limit if such records are expected`;
      letters.push(letter(reason, previewOf(text), whole, `oversized:${digest}`));
      continue;
    }
    const parsed = safeParse(source, text);
    if (!parsed.ok) {
      letters.push(letter(parsed.reason, text, fields));
      continue;
    }
    let payload = text;
    let identity = text;
    if (protector) {
      const result = protector.protect(text);
      if ('whole' in result) {
        letters.push({
          reason: 'not a JSON object: its sensitive fields cannot be found (kept encrypted whole)',
          raw: result.whole,
        });
        continue;
      }
      ({ payload, identity } = result);
      for (const name of result.dropped) dropped[name] = (dropped[name] ?? 0) + 1;
    }
    const naturalKey = byPosition ? collected.position : parsed.naturalKey;
    if (naturalKey === undefined) {
      letters.push({
        reason: 'the collector gave no position for a source identified by position',
        raw: payload,
        ...(protector ? { key: protector.letterKey(text) } : {}),
      });
      continue;
    }
    events.push({
      source: source.name,
      event_id: eventIdOf(source.name, naturalKey, identity),
      natural_key: naturalKey,
      observed_at: parsed.observedAt,
      ingested_at: ingestedAt,
      schema_version: source.schemaVersion,
      run_id: runId,
      payload,
    });
  }
  return { events, letters, dropped };
}

/** A parser that throws is treated like one that rejects: the record is dead-lettered with the error's message. */
function safeParse(source: Pick<SourceDefinition, 'parse'>, raw: string) {
  try {
    return source.parse(raw);
  } catch (error) {
    return { ok: false as const, reason: `parser error: ${describeError(error)}` };
  }
}
