// Redis keeps only what the lake does not hold yet, at volume: STRATA_VOLUME_EVENTS events (50,000 in `pnpm test`,
// 1,000,000 in `pnpm test:volume`) published through dedup, drained by `pnpm bronze --once`; afterwards the stream is
// empty and Redis's memory is back where it started, but for the dedup record (which has bounds of its own).
// A private Redis, so nothing else moves the measure.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { openRuntime, type Runtime } from '../lake/runtime.ts';
import { streamKey } from '../streams/keys.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { makeEvents } from './support/synthetic-events.ts';
import { spawnCli } from './support/cli.ts';
import { startPrivateServices, type PrivateServices } from './support/private-services.ts';

const EVENTS = Number(process.env.STRATA_VOLUME_EVENTS ?? 50_000);
const SOURCE = 'volume';
const MiB = 1024 * 1024;

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

/** Deletes the keys matching a pattern (measurement only: a private Redis at the end of the test). */
async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}

describe(`Redis memory after bronze drains ${EVENTS.toLocaleString('en-US')} events`, { timeout: 1_800_000 }, () => {
  let services: PrivateServices;
  let rt: Runtime;
  before(async () => {
    services = await startPrivateServices({ STRATA_REDIS_PREFIX: 'volume' });
    rt = await openRuntime(services.config);
  });
  after(async () => {
    await rt?.close();
    await services?.cleanup();
  });

  it('keeps nothing the lake holds: the stream empty, memory within 5 MB of its start besides the dedup record', async () => {
    const redis = rt.redis();
    const stream = streamKey(rt.config.redisPrefix, SOURCE);
    const start = await usedMemory(redis);
    const publisher = StreamPublisher.fromConfig(redis, rt.config);
    const chunk = 50_000;
    for (let i = 0; i < EVENTS; i += chunk) {
      const counts = await publisher.publish(
        SOURCE,
        makeEvents(Math.min(chunk, EVENTS - i), SOURCE).map((e, j) => ({
          ...e,
          event_id: `${e.event_id.slice(0, 24)}${(i + j).toString(16).padStart(8, '0')}`,
        })),
      );
      assert.equal(counts.appended, Math.min(chunk, EVENTS - i));
    }
    assert.equal(await redis.xlen(stream), EVENTS);
    const streamBytes = Number(await redis.call('MEMORY', 'USAGE', stream, 'SAMPLES', '0'));
    const full = await usedMemory(redis);

    const drain = await spawnCli('bin/bronze.ts', ['--once', '--source', SOURCE], services.env).exited;
    assert.equal(drain.code, 0, drain.output);
    assert.equal(await rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), EVENTS, 'every event in the lake');
    assert.equal(await redis.xlen(stream), 0, 'the stream holds nothing the lake holds');

    const end = await usedMemory(redis);
    // The dedup record's real size (MEMORY USAGE leaves out the allocator's rounding): what deleting it frees.
    await deleteKeys(redis, `${rt.config.redisPrefix}:seen:*`);
    await deleteKeys(redis, `${rt.config.redisPrefix}:bloom:*`);
    const dedup = end - (await usedMemory(redis));
    const rest = end - start - dedup;
    console.log(
      `# ${EVENTS} events: Redis ${(start / MiB).toFixed(1)} MiB at start, ${(full / MiB).toFixed(1)} MiB with the stream full ` +
        `(stream ${(streamBytes / MiB).toFixed(1)} MiB, ${Math.round(streamBytes / EVENTS)} bytes an event), ${(end / MiB).toFixed(1)} MiB after the drain: ` +
        `dedup record ${(dedup / MiB).toFixed(1)} MiB (${Math.round(dedup / EVENTS)} bytes an event), everything else ${(rest / MiB).toFixed(2)} MiB`,
    );
    assert.ok(
      rest <= 5 * MiB,
      `Redis holds ${(rest / MiB).toFixed(1)} MiB more than at its start besides the dedup record`,
    );
  });
});
