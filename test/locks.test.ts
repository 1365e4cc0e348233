// The scheduler's Redis lock on a real Redis: one holder at a time, renewed while held, released by its holder only.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withRedisLock } from '../core/locks.ts';
import { acquireStreamLock, streamHolder } from '../jobs/job-lock.ts';
import { sleep } from '../core/retry.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

describe('withRedisLock', () => {
  let env: Isolated;
  let key: string;
  before(async () => {
    env = await isolatedRuntime();
    key = `${env.config.redisPrefix}:lock:job`;
  });
  after(async () => env?.cleanup());

  it('lets exactly one of two contenders run, and names the holder to the other', async () => {
    let release!: () => void;
    const first = withRedisLock(
      env.rt.redis(),
      key,
      'scheduler-a',
      10_000,
      () => new Promise<string>((resolve) => (release = () => resolve('done'))),
    );
    await sleep(50);
    const second = await withRedisLock(env.rt.redis(), key, 'scheduler-b', 10_000, async () => 'should not run');
    assert.deepEqual(second, { acquired: false, holder: 'scheduler-a' });
    release();
    assert.deepEqual(await first, { acquired: true, result: 'done' });
    assert.equal(await env.rt.redis().exists(key), 0, 'released by its holder');
  });

  it('keeps the lock past its time-to-live while the work runs', async () => {
    let release!: () => void;
    const held = withRedisLock(
      env.rt.redis(),
      key,
      'long-job',
      300,
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    await sleep(1000);
    const contender = await withRedisLock(env.rt.redis(), key, 'other', 300, async () => 'ran');
    assert.equal(contender.acquired, false);
    release();
    await held;
    assert.equal((await withRedisLock(env.rt.redis(), key, 'other', 300, async () => 'ran')).acquired, true);
  });

  it('neither renews nor releases a lock that expired and was taken by someone else meanwhile', async () => {
    const outcome = await withRedisLock(env.rt.redis(), key, 'slow', 150, async () => {
      // As if this holder stalled past its TTL and another scheduler took the lock.
      await env.rt.redis().set(key, 'other-scheduler token', 'PX', 60_000);
      await sleep(300);
      return 'ran';
    });
    assert.deepEqual(outcome, { acquired: true, result: 'ran' });
    assert.equal(await env.rt.redis().get(key), 'other-scheduler token');
    assert.ok((await env.rt.redis().pttl(key)) > 50_000, 'not renewed with our TTL either');
    await env.rt.redis().del(key);
  });
});

describe('the stream lock', () => {
  let one: Isolated;
  let other: Isolated;
  before(async () => {
    [one, other] = await Promise.all([isolatedRuntime(), isolatedRuntime()]);
  });
  after(async () => Promise.all([one?.cleanup(), other?.cleanup()]));

  it("is its own database's: a stream in another database of the same server is not named as this one's", async () => {
    const lock = await acquireStreamLock(one.rt, 'stream (one)');
    try {
      assert.match((await streamHolder(one.rt.pool)) ?? '', /^strata stream \(one\) pid \d+/);
      assert.equal(await streamHolder(other.rt.pool), undefined);
      const second = await acquireStreamLock(other.rt, 'stream (other)');
      await second.release();
    } finally {
      await lock.release();
    }
  });
});
