import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CallWindow } from './publisher.ts';

/** A call that records when it starts and returns when `release(name)` is called (or fails with `fail(name)`). */
function scripted() {
  const started: string[] = [];
  const waiting = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  const call = (name: string) => () => {
    started.push(name);
    return new Promise<void>((resolve, reject) => waiting.set(name, { resolve, reject }));
  };
  const tick = () => new Promise((resolve) => setImmediate(resolve));
  return {
    started,
    call,
    release: async (name: string) => {
      waiting.get(name)!.resolve();
      await tick();
    },
    fail: async (name: string) => {
      waiting.get(name)!.reject(new Error(`${name} failed`));
      await tick();
    },
    tick,
  };
}

describe('call window', () => {
  it('sends the calls of every group in the order given, a few at a time', async () => {
    const s = scripted();
    const window = new CallWindow(3);
    const first = window.run([s.call('a1'), s.call('a2')]);
    const second = window.run([s.call('b1'), s.call('b2'), s.call('b3')]);
    await s.tick();
    // The second group's first call is sent before the first group returned: it waits behind it, not for it.
    assert.deepEqual(s.started, ['a1', 'a2', 'b1']);
    await s.release('a1');
    assert.deepEqual(s.started, ['a1', 'a2', 'b1', 'b2']);
    let firstDone = false;
    void first.then(() => (firstDone = true));
    await s.release('a2');
    assert.ok(firstDone);
    assert.deepEqual(s.started, ['a1', 'a2', 'b1', 'b2', 'b3']);
    await s.release('b1');
    await s.release('b2');
    await s.release('b3');
    await second;
  });

  it('stops the calls still queued, of every group, at a failure, once the calls sent have returned', async () => {
    const s = scripted();
    const window = new CallWindow(2);
    const first = window.run([s.call('a1'), s.call('a2'), s.call('a3')]);
    const second = window.run([s.call('b1')]);
    const outcomes = Promise.allSettled([first, second]);
    await s.tick();
    assert.deepEqual(s.started, ['a1', 'a2']);
    let settled = false;
    void outcomes.then(() => (settled = true));
    await s.fail('a1');
    // a3 and b1 are never sent; the first group waits for a2, which was sent.
    assert.deepEqual(s.started, ['a1', 'a2']);
    assert.equal(settled, false);
    await s.release('a2');
    const [a, b] = await outcomes;
    assert.equal(a.status === 'rejected' && (a.reason as Error).message, 'a1 failed');
    assert.equal(b.status === 'rejected' && (b.reason as Error).message, 'a1 failed');
    assert.deepEqual(s.started, ['a1', 'a2']);
    // The window goes on with calls given after the failure.
    const third = window.run([s.call('c1')]);
    await s.tick();
    await s.release('c1');
    await third;
    assert.deepEqual(s.started, ['a1', 'a2', 'c1']);
  });

  it('sends nothing until it is ready, and fails the calls when the readiness check fails', async () => {
    const s = scripted();
    const refused = new CallWindow(2, async () => {
      throw new Error('evicting');
    });
    await assert.rejects(refused.run([s.call('x')]), /evicting/);
    assert.deepEqual(s.started, []);
  });
});
