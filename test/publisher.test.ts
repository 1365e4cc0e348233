// Exact-safe dedup on the stream (contract 2) against real Redis: a Bloom filter shared in Redis, confirmed exactly
// before any drop. A repeat is dropped, a changed record kept, and a Bloom false positive still gets through.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { Redis } from 'ioredis';
import { TerminalError } from '../core/errors.ts';
import { findBinary } from '../core/os-packages.ts';
import { after, before, describe, it } from 'node:test';
import { decodeEnvelope, encodeEnvelope } from '../streams/envelope.ts';
import { bloomKey, deadLetterKey, filePositionKey, seenBucketKey, streamKey } from '../streams/keys.ts';
import { bloomProbe, bloomShape, StreamPublisher } from '../streams/publisher.ts';
import { envelope } from './support/envelopes.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const event = (key: string, payload: string) => envelope('weather', key, payload);
const today = () => new Date().toISOString().slice(0, 10).replaceAll('-', '');

describe('StreamPublisher', () => {
  let env: Isolated;
  let publisher: StreamPublisher;
  before(async () => {
    env = await isolatedRuntime();
    publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
  });
  after(async () => env?.cleanup());

  it('sizes the Bloom filter from capacity and false-positive rate', () => {
    assert.deepEqual(bloomShape(10_000_000, 0.001), { bits: 215_663_840, hashes: 10, words: 6_739_495 });
  });

  it("puts an id's k bits, all distinct, in one word of the filter", () => {
    const { words, hashes } = bloomShape(10_000_000, 1e-7);
    for (const id of ['00000000ffffffff00000002', 'ffffffff0000000100000003', '0123456789abcdef01234567']) {
      const [word, mask] = bloomProbe(`${id}deadbeef`, words, hashes);
      assert.equal(word, `#${Number.parseInt(id.slice(0, 8), 16) % words}`);
      const bits = (Number(mask) >>> 0).toString(2).replaceAll('0', '').length;
      assert.equal(bits, hashes, `${id}: ${hashes} bits set`);
      assert.ok(Number(mask) >= -(2 ** 31) && Number(mask) < 2 ** 31, 'a signed 32-bit number, as Lua compares it');
    }
  });

  it('appends new events with the whole envelope', async () => {
    const events = Array.from({ length: 450 }, (_, i) => event(`k${i}`, `{"v":${i}}`));
    assert.deepEqual(await publisher.publish('weather', events), {
      appended: 450,
      duplicates: 0,
      bloomFalsePositives: 0,
    });
    const entries = (await env.rt.redis().xrange(streamKey(env.config.redisPrefix, 'weather'), '-', '+')) as [
      string,
      string[],
    ][];
    assert.equal(entries.length, 450);
    assert.deepEqual(entries[7]![1], ['envelope', JSON.stringify(events[7])]);
    assert.deepEqual(decodeEnvelope(entries[7]![1][1]!), events[7]);
  });

  it('drops an event seen before, and keeps a changed record under the same key', async () => {
    const counts = await publisher.publish('weather', [
      event('k1', '{"v":1}'),
      event('k2', '{"v":2}'),
      event('k1', '{"v":1.5}'),
    ]);
    assert.deepEqual([counts.appended, counts.duplicates], [1, 2]);
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')), 451);
  });

  it('drops a repeat within one batch', async () => {
    const counts = await publisher.publish('weather', [event('k900', 'x'), event('k900', 'x')]);
    assert.deepEqual([counts.appended, counts.duplicates], [1, 1]);
  });

  it("keeps the exact record in today's bucket, expiring after the retention", async () => {
    const bucket = seenBucketKey(env.config.redisPrefix, 'weather', today());
    assert.equal(await env.rt.redis().hexists(bucket, event('k900', 'x').event_id), 1);
    const ttl = await env.rt.redis().ttl(bucket);
    assert.ok(ttl > 31 * 86_400 - 60 && ttl <= 31 * 86_400, `ttl ${ttl}`);
  });

  it('shares its state across collectors and restarts: a new connection drops what an old one appended', async () => {
    const connection = env.rt.redis().duplicate();
    try {
      const counts = await StreamPublisher.fromConfig(connection, env.config).publish('weather', [
        event('k3', '{"v":3}'),
        event('new-from-other', '{}'),
      ]);
      assert.deepEqual([counts.appended, counts.duplicates], [1, 1]);
    } finally {
      connection.disconnect();
    }
  });

  it('lets a Bloom "maybe" that is not a real duplicate through', async () => {
    // A filter of a few dozen bits saturates at once: nearly every new id is a "maybe".
    const tiny = new StreamPublisher(env.rt.redis(), env.config.redisPrefix, {
      retentionDays: 30,
      capacity: 10,
      falsePositiveRate: 0.1,
    });
    const events = Array.from({ length: 300 }, (_, i) => envelope('tiny', `t${i}`, `{"t":${i}}`));
    const counts = await tiny.publish('tiny', events);
    assert.equal(counts.appended, 300, 'every distinct event is kept');
    assert.ok(counts.bloomFalsePositives > 250, `${counts.bloomFalsePositives} false positives`);
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'tiny')), 300);
    assert.deepEqual(
      [(await tiny.publish('tiny', events.slice(0, 50))).duplicates],
      [50],
      'and real repeats are still dropped',
    );
  });

  it('lets an id through once its exact record is past the retention (silver removes it by key)', async () => {
    await env.rt.redis().del(seenBucketKey(env.config.redisPrefix, 'weather', today()));
    const counts = await publisher.publish('weather', [event('k900', 'x')]);
    assert.deepEqual(counts, { appended: 1, duplicates: 0, bloomFalsePositives: 1 });
  });

  it('keeps exactly the unique events of 100k records with 30 % duplicates', async () => {
    const unique = Array.from({ length: 70_000 }, (_, i) => envelope('bulk', `u${i}`, `{"u":${i}}`));
    const repeats = Array.from({ length: 30_000 }, (_, i) => unique[(i * 7919) % unique.length]!);
    const mixed = [
      ...unique.slice(0, 35_000),
      ...repeats.slice(0, 10_000),
      ...unique.slice(35_000),
      ...repeats.slice(10_000),
    ];
    const counts = await publisher.publish('bulk', mixed);
    assert.deepEqual([counts.appended, counts.duplicates], [70_000, 30_000]);
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'bulk')), 70_000);
    assert.ok((await env.rt.redis().strlen(bloomKey(env.config.redisPrefix, 'bulk'))) > 0);
  });

  describe('rows identified by their position in a file', () => {
    const file = 'aaaaaaaaaaaaaaaa';
    const rows = (from: number, to: number, text = (r: number) => `{"r":${r}}`) =>
      Array.from({ length: to - from + 1 }, (_, i) => envelope('flights', `${file}:${from + i}`, text(from + i)));
    const length = () => env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'flights'));

    it('keeps identical rows, drops a file dropped again, and records one number per file', async () => {
      const first = StreamPublisher.fromConfig(env.rt.redis(), env.config);
      const same = () => '{"same":true}';
      assert.deepEqual(await first.publishByPosition('flights', rows(1, 1200, same)), {
        appended: 1200,
        duplicates: 0,
        bloomFalsePositives: 0,
      });
      const again = StreamPublisher.fromConfig(env.rt.redis(), env.config);
      assert.deepEqual(await again.publishByPosition('flights', rows(1, 1300, same)), {
        appended: 100,
        duplicates: 1200,
        bloomFalsePositives: 0,
      });
      assert.equal(await length(), 1300);
      const watermark = filePositionKey(env.config.redisPrefix, 'flights', file);
      assert.equal(await env.rt.redis().get(watermark), '1300');
      const ttl = await env.rt.redis().ttl(watermark);
      assert.ok(ttl > 31 * 86_400 - 60 && ttl <= 31 * 86_400, `ttl ${ttl}`);
      assert.equal(await env.rt.redis().exists(bloomKey(env.config.redisPrefix, 'flights')), 0, 'no Bloom filter');
    });

    it('appends each value whole and in order, past gaps in the rows and a watermark inside a call', async () => {
      const redis = env.rt.redis();
      const stream = streamKey(env.config.redisPrefix, 'gaps');
      const odd = (r: number) => `{"r":${r},"text":"ünï\\n\\"😀\u2028 ${'x'.repeat(r % 7)}"}`;
      // Rows 1..900 without every 3rd (rows a collector rejected are not events), as two calls of a run.
      const gapped = rows(1, 900, odd)
        .filter((_, i) => (i + 1) % 3 !== 0)
        .map((e) => ({ ...e, source: 'gaps' }));
      const publisher = StreamPublisher.fromConfig(redis, env.config);
      assert.deepEqual(await publisher.publishByPosition('gaps', gapped.slice(0, 250)), {
        appended: 250,
        duplicates: 0,
        bloomFalsePositives: 0,
      });
      // Again from the start, in calls of 500: the watermark (row 374) lies inside the first call.
      const again = StreamPublisher.fromConfig(redis, env.config);
      assert.deepEqual(await again.publishByPosition('gaps', gapped), {
        appended: 350,
        duplicates: 250,
        bloomFalsePositives: 0,
      });
      const kept = (await redis.xrange(stream, '-', '+')).map(([, fields]) => fields);
      assert.deepEqual(
        kept,
        gapped.map((e) => ['envelope', encodeEnvelope(e)]),
      );
      assert.equal(await redis.get(filePositionKey(env.config.redisPrefix, 'gaps', file)), '899');
    });

    it('refuses to append past rows whose call failed, so that they never look seen', async () => {
      const redis = env.rt.redis();
      const stream = streamKey(env.config.redisPrefix, 'flights');
      const publisher = StreamPublisher.fromConfig(redis, env.config);
      // Rows 1301–1400 fail: the stream's key briefly holds a string, so their XADD fails inside the script.
      const entries = await redis.xrange(stream, '-', '+');
      await redis.rename(stream, `${stream}:aside`);
      await redis.set(stream, 'not a stream');
      await assert.rejects(publisher.publishByPosition('flights', rows(1301, 1400)), /refused an append/);
      await redis.del(stream);
      await redis.rename(`${stream}:aside`, stream);
      // The next call of the same run carries rows 1401–1500: appending them would hide 1301–1400.
      await assert.rejects(
        publisher.publishByPosition('flights', rows(1401, 1500)),
        /rows of file aaaaaaaaaaaaaaaa after row 1300 did not reach the stream/,
      );
      assert.equal(await length(), entries.length);
      // Collected again from the file's start (a new run), every row is there exactly once.
      const retry = StreamPublisher.fromConfig(redis, env.config);
      assert.deepEqual(await retry.publishByPosition('flights', rows(1, 1500)), {
        appended: 200,
        duplicates: 1300,
        bloomFalsePositives: 0,
      });
      assert.equal(await length(), 1500);
    });

    it('sends rows that are not in file order through the Bloom filter and the exact record', async () => {
      const shuffled = [...rows(1, 3, () => '{"o":1}')].reverse().map((e) => ({ ...e, source: 'other' }));
      const counts = await publisher.publishByPosition('other', shuffled);
      assert.deepEqual([counts.appended, counts.duplicates], [3, 0]);
      assert.equal(await env.rt.redis().exists(bloomKey(env.config.redisPrefix, 'other')), 1);
      assert.deepEqual((await publisher.publishByPosition('other', shuffled)).duplicates, 3);
    });
  });

  it('keeps each bad record once in the dead-letter stream, with its reason and raw text', async () => {
    const first = await publisher.deadLetter('weather', 'run-1', [{ reason: 'missing field city', raw: '{"x":1}' }]);
    const again = await publisher.deadLetter('weather', 'run-2', [{ reason: 'missing field city', raw: '{"x":1}' }]);
    assert.deepEqual([first.appended, again.duplicates], [1, 1]);
    const entries = (await env.rt.redis().xrange(deadLetterKey(env.config.redisPrefix, 'weather'), '-', '+')) as [
      string,
      string[],
    ][];
    assert.equal(entries.length, 1);
    const fields = entries[0]![1];
    assert.equal(fields[fields.indexOf('reason') + 1], 'missing field city');
    assert.equal(fields[fields.indexOf('raw') + 1], '{"x":1}');
  });
});

describe('a Redis that evicts', { timeout: 60_000 }, () => {
  let server: ChildProcess;
  let redis: Redis;
  before(async () => {
    const port = await freePort();
    server = spawn(
      findBinary('redis-server')!,
      ['--port', String(port), '--save', '', '--maxmemory-policy', 'allkeys-lru'],
      {
        stdio: 'ignore',
      },
    );
    redis = new Redis({ port, maxRetriesPerRequest: 50, retryStrategy: () => 100 });
    await redis.ping(); // waits (retrying) until the server listens
  });
  after(async () => {
    redis?.disconnect();
    server?.kill();
  });

  it('is refused before a single event is written, naming the fix', async () => {
    const publisher = new StreamPublisher(redis, 'evict', {
      retentionDays: 1,
      capacity: 1000,
      falsePositiveRate: 0.001,
    });
    const events = [envelope('s', 'k1', '{"a":1}', '2026-11-20T00:00:00Z')];
    await assert.rejects(publisher.publish('s', events), (error: Error) => {
      assert.ok(error instanceof TerminalError);
      assert.match(error.message, /maxmemory-policy allkeys-lru.*CONFIG SET maxmemory-policy noeviction/);
      return true;
    });
    assert.equal(await redis.exists(streamKey('evict', 's')), 0);
    await redis.config('SET', 'maxmemory-policy', 'noeviction');
    assert.deepEqual(await publisher.publish('s', events), { appended: 1, duplicates: 0, bloomFalsePositives: 0 });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
