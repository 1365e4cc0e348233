import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRing } from '../core/sensitive.ts';
import { toEnvelopes } from './envelopes.ts';
import { RecordProtector } from './protect.ts';

const ring = KeyRing.parse(`k1:${'11'.repeat(32)}`);
const protector = new RecordProtector(
  { email: 'encrypt', 'agency.phone': 'encrypt', owner: 'hash', note: 'drop' },
  ring,
);
const source = {
  name: 'people',
  schemaVersion: 1,
  parse: (raw: string) => {
    const r = JSON.parse(raw) as { id?: string };
    return r.id
      ? { ok: true as const, naturalKey: r.id, observedAt: '2026-12-01T00:00:00.000Z' }
      : { ok: false as const, reason: 'no id' };
  },
};

describe('RecordProtector', () => {
  it('encrypts, hashes and drops the declared fields, nested ones included, and leaves the rest', () => {
    const text = JSON.stringify({
      id: 'a',
      email: 'a@b.fr',
      agency: { phone: '+33 1', name: 'X' },
      owner: 'Ann',
      note: 'n',
      n: 1,
    });
    const result = protector.protect(text);
    assert.ok(!('whole' in result));
    const out = JSON.parse(result.payload);
    assert.match(out.email, /^enc:k1:/);
    assert.equal(ring.decrypt(out.email), 'a@b.fr');
    assert.equal(ring.decrypt(out.agency.phone), '+33 1');
    assert.equal(out.agency.name, 'X');
    assert.equal(out.owner, ring.hash('Ann'));
    assert.equal('note' in out, false);
    assert.deepEqual(result.dropped, ['note']);
    assert.equal(result.identity, ring.hash(text));
    assert.doesNotMatch(result.payload, /a@b\.fr|\+33 1|Ann/);
  });

  it('identifies a record by its payload when nothing in it was encrypted (hashes and removals are the same each time)', () => {
    const hashedOnly = new RecordProtector({ owner: 'hash', note: 'drop' }, ring);
    const result = hashedOnly.protect(JSON.stringify({ id: 'c', owner: 'Ann', note: 'x' }));
    assert.ok(!('whole' in result));
    assert.equal(result.payload, JSON.stringify({ id: 'c', owner: ring.hash('Ann') }));
    assert.equal(result.identity, result.payload);
  });

  it('keeps a record without sensitive fields byte for byte, and encrypts a text that is not a JSON object whole', () => {
    const text = '{"id": "b",  "n": 1.50}';
    const result = protector.protect(text);
    assert.ok(!('whole' in result));
    assert.equal(result.payload, text);
    const whole = protector.protect('id,email\nb,b@c.fr');
    assert.ok('whole' in whole);
    assert.equal(ring.decrypt(whole.whole), 'id,email\nb,b@c.fr');
  });
});

describe('toEnvelopes with sensitive fields', () => {
  it('gives the same event id to the same record twice, and keeps no clear value in events or dead letters', () => {
    const records = [
      { text: JSON.stringify({ id: 'a', email: 'a@b.fr' }) },
      { text: JSON.stringify({ email: 'lost@b.fr' }) },
      { text: 'a,lost2@b.fr', rejected: 'a row with 2 cells where the header has 3' },
    ];
    const first = toEnvelopes(source, records, 'r1', Number.POSITIVE_INFINITY, protector);
    const second = toEnvelopes(source, records, 'r2', Number.POSITIVE_INFINITY, protector);
    assert.equal(first.events.length, 1);
    assert.equal(first.events[0]!.event_id, second.events[0]!.event_id);
    assert.notEqual(first.events[0]!.payload, second.events[0]!.payload);
    assert.equal(first.letters.length, 2);
    // Their kept text is random, their key is not: collected again, a bad record is one dead letter still.
    assert.deepEqual(
      first.letters.map((l) => l.key),
      second.letters.map((l) => l.key),
    );
    assert.notEqual(first.letters[0]!.raw, second.letters[0]!.raw);
    const kept = JSON.stringify([first.events, first.letters]);
    assert.doesNotMatch(kept, /@b\.fr/);
    // A dead letter replayed is opened first: the event it becomes is the one the record would have made.
    const replayed = toEnvelopes(source, [{ text: first.letters[0]!.raw }], 'r3', Number.POSITIVE_INFINITY, protector);
    assert.equal(replayed.letters[0]!.reason, 'no id');
    assert.equal(ring.reveal(first.letters[1]!.raw), 'a,lost2@b.fr');
    const again = toEnvelopes(source, [{ text: first.events[0]!.payload }], 'r4', Number.POSITIVE_INFINITY, protector);
    assert.equal(again.events[0]!.event_id, first.events[0]!.event_id);
  });
});
