import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClientSlots } from './client-slots.ts';

describe('ClientSlots', () => {
  it('caps each client and the total, and gives slots back once each', () => {
    const slots = new ClientSlots(3, 2);
    const a1 = slots.take('a');
    const a2 = slots.take('a');
    assert.equal(typeof a1, 'function');
    assert.equal(typeof a2, 'function');
    assert.equal(slots.take('a'), 'client');
    const b1 = slots.take('b');
    assert.equal(typeof b1, 'function');
    assert.equal(slots.take('c'), 'full');
    (a1 as () => void)();
    (a1 as () => void)(); // a second release changes nothing
    assert.equal(slots.inUse, 2);
    assert.equal(typeof slots.take('c'), 'function');
    assert.equal(slots.take('c'), 'full');
  });
});
