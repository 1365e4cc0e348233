// The ingest runner on real Redis: incremental collection, and backpressure that never waits without an end (pause
// for a live bronze writer, drain in-process when there is none, fail naming the fix past the deadline).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../bronze/bronze-writer.ts';
import { streamBacklog, type BackpressureEvent } from '../streams/backlog.ts';
import { BRONZE_GROUP, streamKey, writersKey } from '../streams/keys.ts';
import { WriterHeartbeat } from '../streams/writers.ts';
import { inlineDrain } from '../bronze/inline-drain.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import type { SourceDefinition } from '../ingest/source.ts';
import { startWeatherFixtureServer, type FixtureServer } from '../ingest/sources/weather/fixtures/server.ts';
import { weatherSource } from '../ingest/sources/weather/source.ts';
import { envFor } from '../core/config.ts';
import { spawnCli } from './support/cli.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { expectedWeather } from './support/weather-expected.ts';

/** A source of `count` distinct records, keyed r<i>. */
const counting = (name: string, count: number): SourceDefinition => ({
  name,
  description: 'test records',
  schemaVersion: 1,
  schedule: '* * * * *',
  async *collect() {
    for (let i = 0; i < count; i++) yield { text: JSON.stringify({ i, at: '2026-11-01T00:00:00.000Z' }) };
  },
  parse: (raw) => ({
    ok: true,
    naturalKey: `r${(JSON.parse(raw) as { i: number }).i}`,
    observedAt: '2026-11-01T00:00:00.000Z',
  }),
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
    assert.ok(first.rowsOut > 500);
    const second = await runIngest(env.rt, weatherSource, { context: { baseUrl: fixtures.url } });
    assert.equal(second.rowsOut, 0);
    assert.ok(second.rowsIn < 50, `an incremental run asks only for the newest readings, got ${second.rowsIn}`);

    fixtures.revise((records) => {
      const reading = records.find((r) => r.city === 'Lyon' && typeof r.temperature_c === 'number')!;
      reading.temperature_c = (reading.temperature_c as number) + 1.3;
      reading.updated_at = '2027-01-01T00:00:00.000Z';
    });
    const third = await runIngest(env.rt, weatherSource, { context: { baseUrl: fixtures.url } });
    assert.deepEqual([third.status, third.rowsOut], ['succeeded', 1]);
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')), first.rowsOut + 1);
  });
});

describe('ingest runner backpressure', () => {
  let env: Isolated;
  before(async () => (env = await isolatedRuntime()));
  after(async () => env?.cleanup());

  it('with a bronze writer alive, pauses at the backlog limit, says so, and resumes once it catches up, losing nothing', {
    timeout: 60_000,
  }, async () => {
    const source = counting('pressure', 1400); // one drain at the limit leaves 400 to go: below the limit, so no second pause
    const stream = streamKey(env.config.redisPrefix, 'pressure');
    // A writer that says it is alive, as `pnpm bronze` does while it follows the stream.
    const writer = new WriterHeartbeat(env.rt.redis(), writersKey(env.config.redisPrefix, 'pressure'), 'follower');
    await writer.beat();
    const events: BackpressureEvent[] = [];
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => (paused = resolve));
    const run = runIngest(env.rt, source, {
      batchSize: 200,
      maxBacklog: 1000,
      backpressurePollMillis: 50,
      drainInline: async () => assert.fail('a live writer is there: no drain'),
      onBackpressure: (event) => {
        events.push(event);
        if (event.state === 'paused') paused();
      },
    });
    await isPaused;
    assert.equal(await streamBacklog(env.rt.redis(), stream), 1000, 'stopped exactly at the limit');
    const drained = await drainSource(env.rt, 'pressure', { consumer: 'follower' });
    assert.equal(drained.status, 'succeeded', drained.error);
    const result = await run;
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual([result.rowsIn, result.rowsOut, result.duplicates, result.drainedInline], [1400, 1400, 0, 0]);
    assert.ok(result.pauses === 1 && result.backpressureMillis > 0);
    assert.equal(await env.rt.redis().xlen(stream), 400, 'what bronze committed left Redis; the rest waits for it');
    assert.deepEqual(
      events.map((e) => e.state),
      ['slowing', 'paused', 'resumed'],
      'each change said once',
    );
    assert.ok(
      events.every((e) => e.backlog <= 1000),
      'the backlog never passed the limit',
    );
  });

  it('with no bronze writer alive, writes the backlog to bronze itself and finishes, every record in the stream or the lake', {
    timeout: 60_000,
  }, async () => {
    const source = counting('alone', 2500);
    const stream = streamKey(env.config.redisPrefix, 'alone');
    const states: string[] = [];
    const result = await runIngest(env.rt, source, {
      batchSize: 200,
      maxBacklog: 500,
      drainInline: inlineDrain(env.rt, 'alone'),
      onBackpressure: (e) => void states.push(e.state),
    });
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual([result.rowsIn, result.rowsOut], [2500, 2500]);
    const inLake = await env.rt.catalog.rowCount({ layer: 'bronze', name: 'alone' });
    assert.equal(inLake, result.drainedInline);
    assert.equal(inLake + (await env.rt.redis().xlen(stream)), 2500);
    assert.ok(
      states.includes('draining') && !states.includes('slowing') && !states.includes('paused'),
      `nobody to wait for, so no slowing down: ${states.join(', ')}`,
    );
    const consumers = (await env.rt.redis().xinfo('CONSUMERS', stream, BRONZE_GROUP)) as unknown[];
    assert.equal(consumers.length, 0, 'the collector left no consumer behind');
  });

  it('with no writer and no way to drain, fails at the deadline naming the command that unblocks it', async () => {
    const result = await runIngest(env.rt, counting('stuck', 700), {
      batchSize: 100,
      maxBacklog: 300,
      backpressureMaxWaitMillis: 300,
      backpressurePollMillis: 50,
    });
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      /backlog is at 300 of 300 and no bronze writer has run for 0 s; start one \(`pnpm bronze`\), or raise STRATA_STREAM_MAX_BACKLOG/,
    );
    assert.equal(result.rowsOut, 300, 'what was published stays in the stream');
  });

  it('with a writer alive that does not catch up, fails at the deadline naming it', async () => {
    const writer = new WriterHeartbeat(env.rt.redis(), writersKey(env.config.redisPrefix, 'slow'), 'slowpoke');
    await writer.beat();
    const result = await runIngest(env.rt, counting('slow', 700), {
      batchSize: 100,
      maxBacklog: 300,
      backpressureMaxWaitMillis: 300,
      backpressurePollMillis: 50,
    });
    assert.equal(result.status, 'failed');
    assert.match(
      result.error ?? '',
      /bronze writers \(slowpoke\) were alive but not catching up; start another writer/,
    );
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

describe("README's order with a backlog limit below the input: pnpm ingest:run, then pnpm bronze --once", {
  timeout: 180_000,
}, () => {
  let env: Isolated;
  let fixtures: FixtureServer;
  const expected = expectedWeather({});
  before(async () => {
    env = await isolatedRuntime();
    fixtures = await startWeatherFixtureServer(0, '127.0.0.1');
  });
  after(async () => {
    await fixtures?.close();
    await env?.cleanup();
  });

  it('collects everything with no bronze writer running, then bronze holds every event and dead letter, and Redis none', async () => {
    const childEnv = { ...envFor(env.config), STRATA_STREAM_MAX_BACKLOG: '500' };
    const ingest = await spawnCli('bin/ingest-run.ts', ['weather', '--base-url', fixtures.url], childEnv).exited;
    assert.equal(ingest.code, 0, ingest.output);
    assert.match(ingest.output, /no bronze writer running: writing it to bronze in this process/);
    const bronze = await spawnCli('bin/bronze.ts', ['--once', '--source', 'weather'], childEnv).exited;
    assert.equal(bronze.code, 0, bronze.output);
    assert.equal(await env.rt.catalog.rowCount({ layer: 'bronze', name: 'weather' }), expected.bronze);
    assert.equal(
      await env.rt.catalog.rowCount({ layer: 'bronze', name: 'weather__dead_letters' }),
      expected.deadLetters,
    );
    assert.equal(await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')), 0);
    assert.equal(await env.rt.redis().xlen(`${env.config.redisPrefix}:dlq:weather`), 0);
  });
});

describe('ingest runner order', () => {
  let env: Isolated;
  before(async () => (env = await isolatedRuntime()));
  after(async () => env?.cleanup());

  it("keeps a file's rows in order with batches in parts, backlog waits and two batches out at once", {
    timeout: 60_000,
  }, async () => {
    const rows = 7300;
    const source: SourceDefinition = {
      ...counting('ordered', rows),
      identity: 'position',
      async *collect() {
        for (let i = 1; i <= rows; i++) yield { text: JSON.stringify({ i }), position: `00000000000000aa:${i}` };
      },
      parse: () => ({ ok: true, naturalKey: '', observedAt: '2026-11-01T00:00:00.000Z' }),
    };
    const redis = env.rt.redis();
    const stream = streamKey(env.config.redisPrefix, 'ordered');
    // No writer: at the limit the run drains the stream itself, here by taking its entries in stream order.
    const seen: number[] = [];
    const take = async () => {
      const entries = await redis.xrange(stream, '-', '+');
      for (const [, fields] of entries) seen.push(Number(JSON.parse(fields[1]!).natural_key.split(':')[1]));
      if (entries.length) await redis.xdel(stream, ...entries.map(([id]) => id));
      return entries.length;
    };
    const result = await runIngest(env.rt, source, { batchSize: 1000, maxBacklog: 400, drainInline: take });
    assert.equal(result.status, 'succeeded', result.error);
    assert.ok(result.drainedInline > 0 && result.pauses > 0, 'the backlog limit was met');
    await take();
    assert.deepEqual([result.rowsIn, result.rowsOut], [rows, rows]);
    assert.deepEqual(
      seen,
      Array.from({ length: rows }, (_, i) => i + 1),
      'every row once, in file order',
    );
    const again = await runIngest(env.rt, source, { batchSize: 1000, maxBacklog: 400, drainInline: take });
    assert.deepEqual([again.status, again.rowsOut, again.duplicates], ['succeeded', 0, rows]);
  });
});
