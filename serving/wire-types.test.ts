import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isoTimestamp, jsonText, parseBigint } from './wire-types.ts';

describe('wire types', () => {
  it('keeps a BIGINT exact past 2^53 and writes it into JSON as its digits', () => {
    assert.equal(parseBigint('42'), 42);
    assert.equal(parseBigint('9007199254740993'), 9007199254740993n);
    assert.equal(parseBigint('-9223372036854775808'), -9223372036854775808n);
    assert.equal(
      jsonText({ a: 9007199254740993n, b: [1, -9223372036854775808n], c: '\u0000x:1' }),
      '{"a":9007199254740993,"b":[1,-9223372036854775808],"c":"\\u0000x:1"}',
    );
  });

  it('writes timestamps in UTC with their microseconds, and milliseconds as Date does', () => {
    assert.equal(isoTimestamp('2026-11-12 09:00:00+00'), '2026-11-12T09:00:00.000Z');
    assert.equal(isoTimestamp('2026-11-12 09:00:00.5+00'), '2026-11-12T09:00:00.500Z');
    assert.equal(isoTimestamp('2026-11-12 09:00:00.123456+00'), '2026-11-12T09:00:00.123456Z');
    assert.equal(isoTimestamp('2026-11-12 00:30:00.000001+05:30'), '2026-11-11T19:00:00.000001Z');
    assert.equal(isoTimestamp('2026-11-12 09:00:00.1234'), '2026-11-12T09:00:00.123400Z');
    assert.equal(isoTimestamp('infinity'), 'infinity');
  });
});
