// Builds event envelopes for stream and bronze tests, with the id derived the way collectors derive it.
import { eventIdOf, type EventEnvelope } from '../../streams/envelope.ts';

export function envelope(
  source: string,
  naturalKey: string,
  payload: string,
  observedAt = '2026-11-01T00:00:00.000Z',
): EventEnvelope {
  return {
    source,
    event_id: eventIdOf(source, naturalKey, payload),
    natural_key: naturalKey,
    observed_at: observedAt,
    ingested_at: observedAt,
    schema_version: 1,
    run_id: 'run-1',
    payload,
  };
}
