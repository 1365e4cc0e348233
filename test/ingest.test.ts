// The ingest runner on real Redis: backpressure (pause at the backlog limit, resume when bronze catches up).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../bronze/bronze-writer.ts';
import { streamBacklog, type BackpressureEvent } from '../core/streams/backlog.ts';
import { streamKey } from '../core/streams/keys.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import type { SourceDefinition } from '../ingest/source.ts';
import { startWeatherFixtureServer, type FixtureServer } from '../ingest/sources/weather/fixtures/server.ts';
import { weatherSource } from '../ingest/sources/weather/source.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

/** A source of `count` distinct records, keyed r<i>. */
const counting = (name: string, count: number): SourceDefinition => ({
  name,
  description: 'test records',
  schemaVersion: 1,
  schedule: '* * * * *',
  async *collect() {
    for (let i = 0; i < count; i++) yield { text: JSON.stringify({ i, at: '2026-11-01T00:00:00.000Z' }) };
  },
  parse: (raw) => ({ ok: true, naturalKey: `r${(JSON.parse(raw) as { i: number }).i}`, observedAt: '2026-11-01T00:00:00.000Z' }),
});

describe('weather collection, run after run', () => {
  let env: Isolated;
  let fixtures: FixtureServer;
  before(async () => {
    env = await isolatedRuntime();
    fixtures = await startWeatherFixtureServer(0, '127.0.0.1', { days: 2, seed: 99 });
  });
  after(async () => {
    await fixtures?.close();
    await env?.cleanup();
  });

  it('adds nothing when the source is unchanged, and exactly one event when one reading is revised', async () => {
    const first = await runIngest(env.rt, weatherSource, { context: { baseUrl: fixtures.url } });
    assert.equal(first.status, 'succeeded', first.error);
    assert.ok(first.appended > 500);
    const second = await runIngest(env.rt, weatherSource, { context: { baseUrl: fixtures.url } });
    assert.equal(second.appended, 0);
    assert.ok(second.collected < 50, `an incremental run asks only for the newest readings, got ${second.collected}`);

    fixtures.revise((records) => {
      const reading = records.find((r) => r.city === 'Lyon' && typeof r.temperature_c === 'number')!;
      reading.temperature_c = (reading.temperature_c as number) + 1.3;
      reading.updated_at = '2027-01-01T00:00:00.000Z';
    });
    const third = await runIngest(env.rt, weatherSource, { context: { baseUrl: fixtures.url } });
    assert.deepEqual([third.status, third.appended], ['succeeded', 1]);
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')), first.appended + 1);
  });
});

describe('ingest runner', () => {
  let env: Isolated;
  before(async () => (env = await isolatedRuntime()));
  after(async () => env?.cleanup());

  it('pauses at the backlog limit, says so, and resumes once bronze catches up, losing nothing', { timeout: 60_000 }, async () => {
    const source = counting('pressure', 1400); // one drain at the limit leaves 400 to go: below the limit, so no second pause
    const stream = streamKey(env.config.redisPrefix, 'pressure');
    const events: (BackpressureEvent & { streamLength: number })[] = [];
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => (paused = resolve));
    const run = runIngest(env.rt, source, {
      batchSize: 200, maxBacklog: 1000, backpressurePollMillis: 50,
      onBackpressure: (event) => {
        void env.rt.redis().xlen(stream).then((streamLength) => events.push({ ...event, streamLength }));
        if (event.state === 'paused') paused();
      },
    });
    await isPaused;
    assert.equal(await streamBacklog(env.rt.redis(), stream), 1000, 'stopped exactly at the limit');
    const drained = await drainSource(env.rt, 'pressure');
    assert.equal(drained.status, 'succeeded', drained.error);
    const result = await run;
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual([result.collected, result.appended, result.duplicates], [1400, 1400, 0]);
    assert.ok(result.pauses >= 1 && result.backpressureMillis > 0);
    assert.equal(await env.rt.redis().xlen(stream), 1400);
    assert.ok(events.some((e) => e.state === 'slowing') && events.some((e) => e.state === 'resumed'), JSON.stringify(events));
    assert.ok(events.every((e) => e.backlog <= 1000), 'the backlog never passed the limit');
  });

  it('counts a stream nobody consumed yet as all backlog, and a drained one as none', async () => {
    const source = counting('counted', 120);
    await runIngest(env.rt, source);
    const stream = streamKey(env.config.redisPrefix, 'counted');
    assert.equal(await streamBacklog(env.rt.redis(), stream), 120);
    await drainSource(env.rt, 'counted');
    assert.equal(await streamBacklog(env.rt.redis(), stream), 0);
  });
});
