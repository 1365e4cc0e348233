// Synthetic envelopes for the bronze benchmarks: hourly readings of ~400 bytes, each with its own key.
import { eventIdOf, type EventEnvelope } from '../../streams/envelope.ts';

export function makeEvents(n: number, source = 'bench'): EventEnvelope[] {
  const cities = ['Paris', 'Lyon', 'Berlin', 'Madrid', 'Rome', 'Oslo'];
  return Array.from({ length: n }, (_, i) => {
    const observedAt = new Date(Date.UTC(2026, 10, 1 + (i % 3), i % 24)).toISOString();
    const payload = JSON.stringify({
      station_id: `ST-${i % 500}`,
      city: cities[i % cities.length],
      observed_at: observedAt,
      temperature_c: ((i * 7) % 400) / 10 - 10,
      humidity_pct: i % 100,
      wind_kph: (i % 300) / 10,
      precipitation_mm: (i % 11) / 10,
      updated_at: observedAt,
      note: 'hourly reading from the station',
    });
    const key = `ST-${i % 500}|${observedAt}|${i}`;
    return {
      source,
      event_id: eventIdOf(source, key, payload),
      natural_key: key,
      observed_at: observedAt,
      ingested_at: observedAt,
      schema_version: 1,
      run_id: 'bench',
      payload,
    };
  });
}
