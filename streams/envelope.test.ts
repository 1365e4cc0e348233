import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeEnvelope, ENVELOPE_FIELDS, encodeEnvelope, eventIdOf, type EventEnvelope } from './envelope.ts';
import { compareStreamIds } from './keys.ts';

describe('event envelope', () => {
  it('derives the same id for the same record and a new one when any part changes', () => {
    const id = eventIdOf('weather', 'S1|2026-11-01T00:00:00.000Z', '{"t":1}');
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.equal(eventIdOf('weather', 'S1|2026-11-01T00:00:00.000Z', '{"t":1}'), id);
    assert.notEqual(eventIdOf('weather', 'S1|2026-11-01T00:00:00.000Z', '{"t":2}'), id);
    assert.notEqual(eventIdOf('odds', 'S1|2026-11-01T00:00:00.000Z', '{"t":1}'), id);
    assert.notEqual(
      eventIdOf('weather', 'S1|2026-11-01T00:00:00.000', 'Z{"t":1}'),
      id,
      'fields are separated, not concatenated',
    );
  });

  it('survives a round trip through its stream encoding, payload byte for byte', () => {
    const envelope: EventEnvelope = {
      source: 'weather',
      event_id: 'abc',
      natural_key: 'k',
      observed_at: '2026-11-01T00:00:00.000Z',
      ingested_at: '2026-11-01T00:00:01.000Z',
      schema_version: 3,
      run_id: 'r',
      payload: '{ "spaced" : "ü\\n" }',
    };
    assert.deepEqual(decodeEnvelope(encodeEnvelope(envelope)), envelope);
  });

  it('is encoded as the exact text of JSON.stringify over the contract fields in order, odd characters included', () => {
    const odd = 'quote " backslash \\ tab \t nul \u0000 lone \ud800 emoji 😀 line\u2028';
    const envelope: EventEnvelope = {
      source: 's',
      event_id: 'e',
      natural_key: odd,
      observed_at: 'o',
      ingested_at: 'i',
      schema_version: 12,
      run_id: odd,
      payload: `{"v":"${odd}"}`,
    };
    const expected = JSON.stringify(Object.fromEntries(ENVELOPE_FIELDS.map((f) => [f, envelope[f]])));
    assert.equal(encodeEnvelope(envelope), expected);
  });

  it('writes each envelope whole when the fields a batch shares change from one event to the next', () => {
    const base: EventEnvelope = {
      source: 'a',
      event_id: 'e1',
      natural_key: 'k',
      observed_at: 'o',
      ingested_at: 'i1',
      schema_version: 1,
      run_id: 'r1',
      payload: '{}',
    };
    const sequence: EventEnvelope[] = [
      base,
      { ...base, event_id: 'e2', payload: '{"x":1}' },
      { ...base, source: 'b' },
      { ...base, source: 'b', ingested_at: 'i2' },
      { ...base, source: 'b', ingested_at: 'i2', schema_version: 2 },
      { ...base, source: 'b', ingested_at: 'i2', schema_version: 2, run_id: 'r2' },
      base,
    ];
    for (const envelope of sequence)
      assert.equal(
        encodeEnvelope(envelope),
        JSON.stringify(Object.fromEntries(ENVELOPE_FIELDS.map((f) => [f, envelope[f]]))),
      );
  });

  it('rejects an entry that lacks or mistypes envelope fields, naming them', () => {
    assert.throws(
      () => decodeEnvelope('{"source":"weather","payload":"{}","schema_version":"1"}'),
      /lacks or mistypes fields: event_id, natural_key, observed_at, ingested_at, schema_version, run_id$/,
    );
    assert.throws(() => decodeEnvelope('{"source":'), /not valid JSON/);
  });
});

describe('compareStreamIds', () => {
  it('orders by time then sequence, numerically', () => {
    const ids = ['1700000000000-10', '1700000000000-9', '999999999999-0', '1700000000001-0'];
    assert.deepEqual([...ids].sort(compareStreamIds), [
      '999999999999-0',
      '1700000000000-9',
      '1700000000000-10',
      '1700000000001-0',
    ]);
    assert.equal(compareStreamIds('5-5', '5-5'), 0);
  });
});
