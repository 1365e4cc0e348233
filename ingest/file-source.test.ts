import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileParser, fileSource, utcTime } from './file-source.ts';
import { toEnvelopes } from './envelopes.ts';

describe('a declared file source', () => {
  it('reads a time without a zone as UTC, and keeps a zone that is given', () => {
    assert.equal(utcTime('2001-01-01 00:01:00')?.toISOString(), '2001-01-01T00:01:00.000Z');
    assert.equal(utcTime('2001-01-01T00:01:00.250')?.toISOString(), '2001-01-01T00:01:00.250Z');
    assert.equal(utcTime('2001-01-01T02:01:00+02:00')?.toISOString(), '2001-01-01T00:01:00.000Z');
    assert.equal(utcTime('2001-01-02')?.toISOString(), '2001-01-02T00:00:00.000Z');
    assert.equal(utcTime('yesterday'), undefined);
    assert.equal(utcTime(20010101), undefined);
  });

  it('keys a row by its key columns and dates it by its time column, rejecting an empty key or a bad time', () => {
    const parse = fileParser({ key: ['carrier', 'flight'], time: 'departure' });
    assert.deepEqual(parse('{"carrier":"C1","flight":7,"departure":"2001-01-01 10:00:00"}'), {
      ok: true,
      naturalKey: '["C1",7]',
      observedAt: '2001-01-01T10:00:00.000Z',
    });
    assert.deepEqual(parse('{"carrier":"","flight":7,"departure":"2001-01-01"}'), {
      ok: false,
      reason: 'key column "carrier" is empty',
    });
    assert.deepEqual(parse('{"carrier":"C1","flight":7,"departure":"soon"}'), {
      ok: false,
      reason: 'time column "departure" holds "soon", not a time',
    });
    assert.equal((fileParser({ key: ['id'] })('{"id":12}') as { naturalKey: string }).naturalKey, '12');
  });

  it('without key columns, tells identical rows apart by position and knows a row seen at the same position', () => {
    const source = fileSource('trips', { format: 'csv', key: [], columns: { a: 'VARCHAR' } });
    assert.equal(source.identity, 'position');
    const row = '{"a":"same"}';
    const { events, letters } = toEnvelopes(
      source,
      [
        { text: row, position: 'f00d:1' },
        { text: row, position: 'f00d:2' },
        { text: row, position: 'f00d:1' },
        { text: row },
      ],
      'run',
    );
    assert.equal(events.length, 3);
    assert.deepEqual(
      events.map((e) => e.natural_key),
      ['f00d:1', 'f00d:2', 'f00d:1'],
    );
    assert.notEqual(events[0]!.event_id, events[1]!.event_id);
    assert.equal(events[0]!.event_id, events[2]!.event_id);
    assert.deepEqual(
      letters.map((l) => l.reason),
      ['the collector gave no position for a source identified by position'],
    );
  });

  it('with key columns, identifies a row by its content, wherever it is', () => {
    const source = fileSource('trips', { format: 'csv', key: ['a'], columns: { a: 'VARCHAR' } });
    assert.equal(source.identity, 'content');
    const { events } = toEnvelopes(
      source,
      [
        { text: '{"a":"x"}', position: 'f00d:1' },
        { text: '{"a":"x"}', position: 'beef:9' },
      ],
      'run',
    );
    assert.equal(events[0]!.event_id, events[1]!.event_id);
    assert.equal(events[0]!.natural_key, 'x');
  });
});
