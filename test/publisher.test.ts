// Exact dedup on the stream (contract 2), against real Redis: a repeat is dropped, a changed record is kept.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeEnvelope } from '../core/streams/envelope.ts';
import { deadLetterKey, seenKey, streamKey } from '../core/streams/keys.ts';
import { StreamPublisher } from '../core/streams/publisher.ts';
import { envelope } from './support/envelopes.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const event = (key: string, payload: string) => envelope('weather', key, payload);

describe('StreamPublisher', () => {
  let env: Isolated;
  let publisher: StreamPublisher;
  before(async () => {
    env = await isolatedRuntime();
    publisher = new StreamPublisher(env.rt.redis(), env.config.redisPrefix, 3600);
  });
  after(async () => env?.cleanup());

  it('appends new events with the whole envelope', async () => {
    const events = Array.from({ length: 450 }, (_, i) => event(`k${i}`, `{"v":${i}}`));
    assert.deepEqual(await publisher.publish('weather', events), { appended: 450, duplicates: 0 });
    const entries = (await env.rt.redis().xrange(streamKey(env.config.redisPrefix, 'weather'), '-', '+')) as [string, string[]][];
    assert.equal(entries.length, 450);
    assert.deepEqual(entries[7]![1], ['envelope', JSON.stringify(events[7])]);
    assert.deepEqual(decodeEnvelope(entries[7]![1][1]!), events[7]);
  });

  it('drops an event seen before, and keeps a changed record under the same key', async () => {
    const counts = await publisher.publish('weather', [event('k1', '{"v":1}'), event('k2', '{"v":2}'), event('k1', '{"v":1.5}')]);
    assert.deepEqual(counts, { appended: 1, duplicates: 2 });
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')), 451);
  });

  it('drops a repeat within one batch', async () => {
    assert.deepEqual(await publisher.publish('weather', [event('k900', 'x'), event('k900', 'x')]), { appended: 1, duplicates: 1 });
  });

  it('marks an event seen with the retention as its expiry', async () => {
    const ttl = await env.rt.redis().ttl(seenKey(env.config.redisPrefix, 'weather', event('k900', 'x').event_id));
    assert.ok(ttl > 3500 && ttl <= 3600, `ttl ${ttl}`);
  });

  it('keeps each bad record once in the dead-letter stream, with its reason and raw text', async () => {
    assert.deepEqual(await publisher.deadLetter('weather', 'run-1', [{ reason: 'missing field city', raw: '{"x":1}' }]), { appended: 1, duplicates: 0 });
    assert.deepEqual(await publisher.deadLetter('weather', 'run-2', [{ reason: 'missing field city', raw: '{"x":1}' }]), { appended: 0, duplicates: 1 });
    const entries = (await env.rt.redis().xrange(deadLetterKey(env.config.redisPrefix, 'weather'), '-', '+')) as [string, string[]][];
    assert.equal(entries.length, 1);
    const fields = entries[0]![1];
    assert.equal(fields[fields.indexOf('reason') + 1], 'missing field city');
    assert.equal(fields[fields.indexOf('raw') + 1], '{"x":1}');
  });
});
