// The event envelope (DESIGN.md contract 1): what every stream entry carries, and how its id is derived.
import { createHash } from 'node:crypto';

export interface EventEnvelope {
  source: string;
  /** sha256(source, natural_key, payload), 32 hex chars: the same record collected twice gets the same id. */
  event_id: string;
  natural_key: string;
  /** ISO-8601 UTC: when the record says it was observed. */
  observed_at: string;
  /** ISO-8601 UTC: when Strata collected it. */
  ingested_at: string;
  schema_version: number;
  run_id: string;
  /** The record's raw text, kept byte for byte. */
  payload: string;
}

export const ENVELOPE_FIELDS = ['source', 'event_id', 'natural_key', 'observed_at', 'ingested_at', 'schema_version', 'run_id', 'payload'] as const;

/** A deterministic id from content: a re-collected unchanged record has the same id; a changed one does not. */
export function eventIdOf(source: string, naturalKey: string, payload: string): string {
  return createHash('sha256').update(source).update('\0').update(naturalKey).update('\0').update(payload).digest('hex').slice(0, 32);
}

/** Flattens an envelope into XADD field/value pairs. */
export function toStreamFields(envelope: EventEnvelope): string[] {
  return ENVELOPE_FIELDS.flatMap((field) => [field, String(envelope[field])]);
}

/** Rebuilds an envelope from a stream entry's field list; missing fields are a contract violation. */
export function fromStreamFields(fields: string[]): EventEnvelope {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
  const missing = ENVELOPE_FIELDS.filter((f) => !map.has(f));
  if (missing.length) throw new Error(`stream entry lacks envelope fields: ${missing.join(', ')}`);
  return {
    source: map.get('source')!,
    event_id: map.get('event_id')!,
    natural_key: map.get('natural_key')!,
    observed_at: map.get('observed_at')!,
    ingested_at: map.get('ingested_at')!,
    schema_version: Number(map.get('schema_version')),
    run_id: map.get('run_id')!,
    payload: map.get('payload')!,
  };
}
