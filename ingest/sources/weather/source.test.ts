import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CITIES, generateWeatherRecords } from './fixtures/generator.ts';
import { parseWeather } from './source.ts';

const good = { station_id: 'FR-PAR-07149', city: 'Paris', observed_at: '2026-11-01T05:00:00Z', temperature_c: 4.2 };

describe('parseWeather', () => {
  it('keys a reading by station and normalised hour', () => {
    assert.deepEqual(parseWeather(JSON.stringify(good)), {
      ok: true,
      naturalKey: 'FR-PAR-07149|2026-11-01T05:00:00.000Z',
      observedAt: '2026-11-01T05:00:00.000Z',
    });
  });

  it('rejects what cannot be keyed, saying why', () => {
    assert.deepEqual(parseWeather('{"station_id":'), { ok: false, reason: 'not valid JSON' });
    assert.deepEqual(parseWeather('[1]'), { ok: false, reason: 'not a JSON object' });
    assert.deepEqual(parseWeather(JSON.stringify({ ...good, station_id: null })), {
      ok: false,
      reason: 'missing field station_id',
    });
    assert.deepEqual(parseWeather(JSON.stringify({ ...good, city: ' ' })), { ok: false, reason: 'missing field city' });
    assert.deepEqual(parseWeather(JSON.stringify({ ...good, observed_at: 'yesterday 14:00' })), {
      ok: false,
      reason: 'observed_at "yesterday 14:00" is not an ISO-8601 timestamp',
    });
  });

  it('leaves value checks to silver: an impossible temperature still parses', () => {
    assert.equal(parseWeather(JSON.stringify({ ...good, temperature_c: 'N/A' })).ok, true);
  });
});

describe('weather fixture generator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    assert.deepEqual(generateWeatherRecords({ days: 2, seed: 7 }), generateWeatherRecords({ days: 2, seed: 7 }));
    assert.notDeepEqual(generateWeatherRecords({ days: 2, seed: 7 }), generateWeatherRecords({ days: 2, seed: 8 }));
  });

  it('serves every city and hour, plus duplicates and corrections', () => {
    const records = generateWeatherRecords({ days: 2, seed: 7 });
    const hours = new Set(records.map((r) => `${r.city}|${r.observed_at}`));
    assert.ok(records.length > CITIES.length * 48, 'repeats and re-issues come on top of one reading per city-hour');
    assert.equal(
      new Set(records.map((r) => r.city)).size,
      CITIES.length + 1,
      'twelve cities, plus the empty city of malformed records',
    );
    assert.ok(hours.size >= CITIES.length * 48 - 5);
  });
});
