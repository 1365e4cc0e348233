// Trim after commit on the real Redis: a stream keeps exactly the entries some consumer group may still need.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { acknowledgeAndTrim, trimAcknowledged } from '../streams/trim.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

describe('trimAcknowledged', () => {
  let env: Isolated;
  let redis: Redis;
  let key: string;
  let n = 0;
  before(async () => {
    env = await isolatedRuntime();
    redis = env.rt.redis();
  });
  after(() => env.cleanup());
  beforeEach(() => {
    key = `${env.config.redisPrefix}:stream:trim-${++n}`;
  });

  const add = async (count: number) => {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) ids.push((await redis.xadd(key, '*', 'envelope', `{"i":${i}}`))!);
    return ids;
  };
  const read = async (group: string, consumer: string, count: number) =>
    (
      (await redis.xreadgroup('GROUP', group, consumer, 'COUNT', count, 'STREAMS', key, '>')) as [
        string,
        [string, string[]][],
      ][]
    )[0]![1].map(([id]) => id);
  const remaining = async () => (await redis.xrange(key, '-', '+')).map(([id]) => id);

  it('keeps every entry of a stream no group has consumed', async () => {
    await add(5);
    assert.equal(await trimAcknowledged(redis, key), 0);
    await redis.xgroup('CREATE', key, 'bronze', '0');
    assert.equal(await trimAcknowledged(redis, key), 0);
    assert.equal(await redis.xlen(key), 5);
    assert.equal(await trimAcknowledged(redis, `${key}-missing`), 0);
  });

  it('removes what was delivered and acknowledged, keeps what is pending and what is not delivered yet', async () => {
    const ids = await add(10);
    await redis.xgroup('CREATE', key, 'bronze', '0');
    const first = await read('bronze', 'w1', 4);
    await redis.xack(key, 'bronze', ...first);
    const second = await read('bronze', 'w1', 3); // pending
    assert.equal(await trimAcknowledged(redis, key), 4);
    assert.deepEqual(await remaining(), ids.slice(4));
    await redis.xack(key, 'bronze', second[1]!); // a hole: the oldest pending still holds the trim point
    assert.equal(await trimAcknowledged(redis, key), 0);
    await redis.xack(key, 'bronze', second[0]!, second[2]!);
    assert.equal(await trimAcknowledged(redis, key), 3);
    assert.deepEqual(await remaining(), ids.slice(7));
  });

  it('waits for the slowest of several groups', async () => {
    const ids = await add(6);
    await redis.xgroup('CREATE', key, 'bronze', '0');
    await redis.xgroup('CREATE', key, 'audit', '0');
    await redis.xack(key, 'bronze', ...(await read('bronze', 'w1', 6)));
    await redis.xack(key, 'audit', ...(await read('audit', 'a1', 2)));
    assert.equal(await trimAcknowledged(redis, key), 2);
    assert.deepEqual(await remaining(), ids.slice(2));
  });

  it('keeps entries another consumer claimed until it acknowledges them', async () => {
    const ids = await add(4);
    await redis.xgroup('CREATE', key, 'bronze', '0');
    await read('bronze', 'dead', 4);
    await redis.call('XAUTOCLAIM', key, 'bronze', 'alive', 0, '0-0', 'COUNT', 2);
    assert.equal(await trimAcknowledged(redis, key), 0);
    await redis.xack(key, 'bronze', ids[0]!, ids[1]!);
    assert.equal(await trimAcknowledged(redis, key), 2);
    assert.deepEqual(await remaining(), ids.slice(2));
  });

  it('acknowledges and trims in one step, for thousands of ids at once', async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 2500; i++) pipeline.xadd(key, '*', 'envelope', `{"i":${i}}`);
    await pipeline.exec();
    await redis.xgroup('CREATE', key, 'bronze', '0');
    const delivered = await read('bronze', 'w1', 2400);
    assert.equal(await acknowledgeAndTrim(redis, key, 'bronze', delivered.slice(0, 2300)), 2300);
    assert.equal(await redis.xlen(key), 200, 'the 100 still pending and the 100 not delivered stay');
    assert.equal(((await redis.xpending(key, 'bronze')) as [number])[0], 100);
  });
});
