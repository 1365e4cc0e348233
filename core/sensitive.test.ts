import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyRing, keyProblems } from './sensitive.ts';

const K1 = `k1:${'11'.repeat(32)}`;
const K2 = `k2:${'22'.repeat(32)}`;

describe('KeyRing', () => {
  it('encrypts with the newest key, a new IV each time, and decrypts with any listed key', () => {
    const old = KeyRing.parse(K1);
    const ring = KeyRing.parse(`${K1},${K2}`);
    const a = ring.encrypt('agence@example.fr');
    const b = ring.encrypt('agence@example.fr');
    assert.match(a, /^enc:k2:[\w-]+$/);
    assert.notEqual(a, b);
    assert.equal(ring.decrypt(a), 'agence@example.fr');
    assert.equal(ring.decrypt(old.encrypt('é "quoted"')), 'é "quoted"');
    assert.throws(() => old.decrypt(a), /key "k2", which STRATA_ENCRYPTION_KEYS does not list/);
  });

  it('refuses a value that was altered', () => {
    const ring = KeyRing.parse(K1);
    const value = ring.encrypt('+33 1 42 00 00 01');
    const body = value.slice('enc:k1:'.length);
    const flipped = `enc:k1:${body.slice(0, 20)}${body[20] === 'A' ? 'B' : 'A'}${body.slice(21)}`;
    assert.throws(() => ring.decrypt(flipped), /does not decrypt/);
    assert.throws(() => KeyRing.parse(`k1:${'33'.repeat(32)}`).decrypt(value), /does not decrypt/);
  });

  it('hashes with the oldest key, so hashes match across a rotation', () => {
    const before = KeyRing.parse(K1);
    const after = KeyRing.parse(`${K1},${K2}`);
    assert.equal(before.hash('a@b.fr'), after.hash('a@b.fr'));
    assert.match(before.hash('a@b.fr'), /^hmac:k1:[\w-]{43}$/);
    assert.notEqual(before.hash('a@b.fr'), before.hash('a@b.fr '));
    assert.notEqual(before.hash('a@b.fr'), KeyRing.parse(K2).hash('a@b.fr'));
  });

  it('reveals values inside a JSON text as JSON string content, and rekeys them to the newest key', () => {
    const old = KeyRing.parse(K1);
    const ring = KeyRing.parse(`${K1},${K2}`);
    const payload = JSON.stringify({ id: 1, email: old.encrypt('x"y@z.fr'), phone: ring.encrypt('01 02') });
    assert.deepEqual(JSON.parse(ring.reveal(payload)), { id: 1, email: 'x"y@z.fr', phone: '01 02' });
    assert.equal(ring.needsRekey(payload), true);
    const rekeyed = ring.rekey(payload);
    assert.equal(ring.needsRekey(rekeyed), false);
    assert.doesNotMatch(rekeyed, /enc:k1:/);
    assert.deepEqual(JSON.parse(ring.reveal(rekeyed)), JSON.parse(ring.reveal(payload)));
    assert.equal(ring.reveal('no secrets here'), 'no secrets here');
  });

  it('lists every problem of a key setting without printing a key', () => {
    const problems = keyProblems(`k1:abc,k1:${'11'.repeat(32)},bad id:${'22'.repeat(32)}`);
    assert.deepEqual(problems, [
      'key 1 (k1): needs <id>:<64 hex characters>, 32 random bytes (openssl rand -hex 32)',
      'key 2: id "k1" is listed twice',
      'key 3: its id must be 1–16 letters, digits or _ (e.g. k1)',
    ]);
    assert.deepEqual(keyProblems(''), ['no key: give k1:<64 hex characters> (e.g. k1:$(openssl rand -hex 32))']);
    assert.throws(() => KeyRing.parse('k1:abc'), /STRATA_ENCRYPTION_KEYS is not valid:\n- key 1/);
  });
});
