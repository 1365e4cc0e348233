// The event envelope (DESIGN.md contract 1): what every stream entry carries, and how its id is derived.
import { hash } from 'node:crypto';

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

export const ENVELOPE_FIELDS = [
  'source',
  'event_id',
  'natural_key',
  'observed_at',
  'ingested_at',
  'schema_version',
  'run_id',
  'payload',
] as const;

/** A deterministic id from content: a re-collected unchanged record has the same id; a changed one does not. */
export function eventIdOf(source: string, naturalKey: string, payload: string): string {
  // One-shot hashing of the joined text (the same bytes as updating with each part): no Hash object per event.
  return hash('sha256', `${source}\0${naturalKey}\0${payload}`).slice(0, 32);
}

/** The one field of a stream entry: the envelope as a JSON document (every contract field, one value to parse). */
export const ENVELOPE_FIELD = 'envelope';

/**
 * The fields a run's events share (source, ingested_at, schema_version, run_id), written once and reused while they
 * stay the same: a batch's envelopes differ only in id, key, time and payload.
 */
const shared = { source: '', ingestedAt: '', schemaVersion: Number.NaN, runId: '', head: '', tail: '' };

/** The JSON text stored in the stream; keys in ENVELOPE_FIELDS order. */
export function encodeEnvelope(e: EventEnvelope): string {
  // Written field by field (the same text JSON.stringify gives): it runs once per event on the collectors' hot path.
  const q = JSON.stringify;
  if (e.source !== shared.source) {
    shared.source = e.source;
    shared.head = `{"source":${q(e.source)},"event_id":`;
  }
  if (e.ingested_at !== shared.ingestedAt || e.schema_version !== shared.schemaVersion || e.run_id !== shared.runId) {
    shared.ingestedAt = e.ingested_at;
    shared.schemaVersion = e.schema_version;
    shared.runId = e.run_id;
    shared.tail = `,"ingested_at":${q(e.ingested_at)},"schema_version":${q(e.schema_version)},"run_id":${q(e.run_id)},"payload":`;
  }
  return `${shared.head}${q(e.event_id)},"natural_key":${q(e.natural_key)},"observed_at":${q(e.observed_at)}${shared.tail}${q(e.payload)}}`;
}

/** Parses a stream entry's envelope text; a missing or mistyped field is a contract violation, named. */
export function decodeEnvelope(text: string): EventEnvelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('envelope is not valid JSON');
  }
  if (!value || typeof value !== 'object') throw new Error('envelope is not a JSON object');
  const v = value as Record<string, unknown>;
  const missing = ENVELOPE_FIELDS.filter((f) =>
    f === 'schema_version' ? typeof v[f] !== 'number' : typeof v[f] !== 'string',
  );
  if (missing.length) throw new Error(`envelope lacks or mistypes fields: ${missing.join(', ')}`);
  return v as unknown as EventEnvelope;
}
