import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { Redis } from 'ioredis';
import { Backpressure } from './backlog.ts';

/** A stream of `length` entries and no consumer group, counting how often its length is read. */
function fakeStream(length: number) {
  const state = { length, reads: 0 };
  const redis = {
    xlen: async () => {
      state.reads++;
      return state.length;
    },
  } as unknown as Redis;
  return { state, redis };
}

describe('backpressure admission', () => {
  const options = { maxBacklog: 1000, maxWaitMillis: 1000, liveWriters: async () => ['w1'] };

  it('reads the backlog once while what it admitted keeps it far under half the limit', async () => {
    const { state, redis } = fakeStream(0);
    const backpressure = new Backpressure(redis, 's', options);
    for (let i = 0; i < 4; i++) assert.equal(await backpressure.admit(100), 0);
    assert.equal(state.reads, 1);
    // 400 admitted: the next 100 would reach half the limit, so the stream is asked again.
    await backpressure.admit(100);
    assert.equal(state.reads, 2);
  });

  it('reads it again after a second, seeing what other producers added', async () => {
    mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
    try {
      const { state, redis } = fakeStream(0);
      const changes: string[] = [];
      const backpressure = new Backpressure(redis, 's', {
        ...options,
        pollMillis: 10,
        onChange: (event) => void changes.push(`${event.state} ${event.backlog}`),
      });
      await backpressure.admit(10);
      state.length = 5000; // another producer filled the stream
      await backpressure.admit(10);
      assert.equal(state.reads, 1, 'within the second, the reading stands');
      mock.timers.tick(1000);
      const sleeping = backpressure.admit(10);
      // Past the limit with a live writer: it pauses, and says so at once.
      await new Promise((resolve) => setImmediate(resolve));
      assert.equal(state.reads, 2);
      assert.deepEqual(changes, ['paused 5000']);
      state.length = 0; // the writer caught up
      await sleeping;
      assert.deepEqual(changes, ['paused 5000', 'resumed 0']);
    } finally {
      mock.timers.reset();
    }
  });
});
