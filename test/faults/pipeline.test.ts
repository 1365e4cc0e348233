// The whole pipeline under faults, end to end, on private Redis, PostgreSQL and S3 servers:
//   weather: a live provider API → collector runs (one after another, as the scheduler would) → Redis stream →
//            `pnpm bronze` → S3 lake → `pnpm job:gold --select +weather_daily` (silver, gold, PostgreSQL load)
//   crypto:  a live ticker → `pnpm stream` (its collector, bronze writer and streaming tables)
// While the provider publishes, a driver SIGKILLs each of those processes at random moments and stops Redis, the S3
// server and PostgreSQL for STRATA_OUTAGE_SECONDS each; a supervisor restarts whatever exits, like a process manager.
// Then it lets everything drain and counts every layer: each count must equal what the test computes from the
// generated data itself. STRATA_FAULT_PIPELINE_EVENTS (20,000 in `pnpm test`, 1,000,000 in `pnpm test:faults`) sizes
// the weather feed, STRATA_FAULT_PIPELINE_SECONDS how long it takes to publish.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deadLetterTable } from '../../lake/bronze-schema.ts';
import { withDuck } from '../../core/duckdb.ts';
import { attachTable } from '../../lake/lake-views.ts';
import { sleep } from '../../core/retry.ts';
import { openRuntime, type Runtime } from '../../lake/runtime.ts';
import { bronzeGroupState } from '../../streams/backlog.ts';
import { eventIdOf } from '../../streams/envelope.ts';
import { deadLetterKey, streamKey } from '../../streams/keys.ts';
import { startCryptoFixtureServer } from '../../ingest/sources/crypto/fixtures/server.ts';
import { prng } from '../../ingest/sources/weather/fixtures/generator.ts';
import { startWeatherFixtureServer, type FixtureServer } from '../../ingest/sources/weather/fixtures/server.ts';
import { parseWeather } from '../../ingest/sources/weather/source.ts';
import { waitUntil } from '../../infra/local/process.ts';
import { startPrivateServices, type BackingService, type PrivateServices } from '../support/private-services.ts';
import { auditAll, startAudit } from '../support/stream-audit.ts';
import { waitForStreamSettled } from '../support/stream-settled.ts';
import { Supervised } from '../support/supervisor.ts';
import { expectedWeather, type ExpectedWeather } from '../support/weather-expected.ts';

const EVENTS = Number(process.env.STRATA_FAULT_PIPELINE_EVENTS ?? 20_000);
const PUBLISH_SECONDS = Number(process.env.STRATA_FAULT_PIPELINE_SECONDS ?? 24);
const OUTAGE_SECONDS = Number(process.env.STRATA_OUTAGE_SECONDS ?? 3);
const COINS = 20;
const random = prng(Number(process.env.STRATA_FAULT_SEED ?? 23));

// 12 cities × stations per city readings an hour; enough hours for EVENTS readings.
const STATIONS_PER_CITY = EVENTS >= 200_000 ? 24 : 4;
const FIXTURE = {
  seed: 808,
  start: '2026-06-01T00:00:00.000Z',
  stationsPerCity: STATIONS_PER_CITY,
  days: EVENTS / (12 * STATIONS_PER_CITY * 24),
};
// Corrections come two hours after the reading: the provider's clock runs until every revision is out.
const PUBLISH_SPAN_MILLIS = FIXTURE.days * 86_400_000 + 3 * 3_600_000;

const began = Date.now();
/** Progress on stderr, which the test runner shows as it comes (a full run takes minutes). */
const progress = (message: string) =>
  process.stderr.write(`[faults ${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);

describe(`the whole pipeline under kills and outages (${EVENTS} weather readings, ${OUTAGE_SECONDS} s outages)`, {
  timeout: 3_600_000,
}, () => {
  let services: PrivateServices;
  let rt: Runtime;
  let weather: FixtureServer;
  let ticker: Awaited<ReturnType<typeof startCryptoFixtureServer>>;
  let expected: ExpectedWeather;
  let publishStart = Number.POSITIVE_INFINITY;
  const processes: Supervised[] = [];

  before(async () => {
    expected = expectedWeather(FIXTURE);
    services = await startPrivateServices({ STRATA_REDIS_PREFIX: 'faults', STRATA_LAKE_URL: 's3://faults/lake' });
    rt = await openRuntime(services.config);
    // The provider's clock: still before the first reading until the driver starts it, then PUBLISH_SECONDS for all.
    const clock = () => {
      const share = Math.min(1, Math.max(0, (Date.now() - publishStart) / (PUBLISH_SECONDS * 1000)));
      return new Date(Date.parse(FIXTURE.start) - 1 + share * PUBLISH_SPAN_MILLIS).toISOString();
    };
    weather = await startWeatherFixtureServer(0, '127.0.0.1', { ...FIXTURE, clock });
    ticker = await startCryptoFixtureServer(0, '127.0.0.1', Date.now, { coins: COINS });
  });
  after(async () => {
    for (const p of processes) await p.stop('SIGKILL');
    await weather?.close();
    await ticker?.close();
    await rt?.close();
    await services?.cleanup();
  });

  it('ends with every unique event in silver exactly once, and exact counts at every layer', async () => {
    const env = services.env;
    const collector = new Supervised('collector', 'bin/ingest-run.ts', ['weather', '--base-url', weather.url], env);
    const bronze = new Supervised(
      'bronze writer',
      'bin/bronze.ts',
      ['--source', 'weather', '--consumer', 'faults'],
      env,
    );
    const job = new Supervised('job runner', 'bin/job.ts', ['gold', '--select', '+weather_daily', '--wait'], env);
    const stream = new Supervised('stream', 'bin/stream.ts', ['--status-seconds', '5'], {
      ...env,
      STRATA_SOURCE_CRYPTO_URL: ticker.url,
    });
    const victims = [collector, bronze, job, stream];
    processes.push(...victims);
    // An audit group on each stream sees every entry that entered it, whatever bronze has trimmed since.
    for (const source of ['weather', 'crypto']) await startAudit(rt.redis(), streamKey(rt.config.redisPrefix, source));
    for (const p of victims) p.start();
    publishStart = Date.now();
    progress(`publishing ${expected.served} weather readings over ${PUBLISH_SECONDS} s; ticker of ${COINS} coins`);
    const status = setInterval(
      () =>
        void statusLine(rt, victims).then(progress, (error: Error) => progress(`status unavailable: ${error.message}`)),
      10_000,
    );
    const publishEnd = publishStart + PUBLISH_SECONDS * 1000;

    // Outages one after another, spread over the publishing window; kills at random moments meanwhile.
    const outages = (async () => {
      const names: BackingService[] = ['redis', 's3', 'postgres'];
      for (const [i, name] of names.entries()) {
        const at = publishStart + ((i + 0.5) / names.length) * (PUBLISH_SECONDS * 1000 - OUTAGE_SECONDS * 1000);
        await sleep(Math.max(0, at - Date.now()));
        progress(`stopping ${name} for ${OUTAGE_SECONDS} s`);
        await services.stop(name);
        await sleep(OUTAGE_SECONDS * 1000);
        await services.start(name);
        progress(`${name} is back`);
      }
    })();
    let round = 0;
    while (Date.now() < publishEnd) {
      await sleep(Math.min(publishEnd - Date.now(), PUBLISH_SECONDS * (20 + random() * 40)));
      // Each kind in turn, so all of them die several times; one not running right now is skipped this round.
      const victim = victims[round++ % victims.length]!;
      if (victim.kill()) progress(`SIGKILL ${victim.name}`);
    }
    await outages;
    progress('the provider has published everything; draining');

    // Drain: a collector run after the provider has published everything, the bronze group empty, a job run after that.
    await collector.nextCleanRun(300_000);
    await collector.stop();
    progress('a collector run after the last publication succeeded');
    await waitUntil(
      async () => {
        const group = await bronzeGroupState(rt.redis(), streamKey(rt.config.redisPrefix, 'weather'));
        return group.pending === 0 && group.undelivered === 0;
      },
      'the bronze writer draining the weather stream',
      600_000,
    );
    progress('bronze has every weather entry');
    await job.nextCleanRun(600_000);
    await job.stop();
    progress('a job run after that succeeded');
    await bronze.stop();
    // The ticker stops; a stream without collectors finishes what the killed ones left.
    await ticker.close();
    await stream.stop();
    const drain = new Supervised('stream (drain)', 'bin/stream.ts', ['--no-collect', '--status-seconds', '5'], env);
    processes.push(drain);
    drain.start();
    await waitForStreamSettled(rt, 300_000);
    await drain.stop();
    clearInterval(status);
    progress('drained; counting every layer');

    const counts = await countLayers(rt, expected);
    const kills = victims
      .map((p) => `${p.name} ${p.stats.killed} killed, ${p.stats.failed} failed, ${p.stats.starts} runs`)
      .join('; ');
    console.log(`${kills}\n${formatCounts(counts, expected)}`);
    for (const p of victims) assert.ok(p.stats.killed >= 1, `${p.name} was never killed: ${JSON.stringify(p.stats)}`);

    const w = counts.weather;
    const c0 = counts.crypto;
    assert.equal(w.streamEntries, expected.bronze, 'every well-formed reading is in the stream once');
    assert.equal(w.streamDistinct, w.streamEntries, 'no event twice in the stream');
    assert.equal(w.deadLetters, expected.deadLetters, 'every malformed reading is dead-lettered once');
    assert.equal(
      w.deadLettersDistinct,
      w.deadLetters - (await rt.redis().xlen(deadLetterKey(rt.config.redisPrefix, 'weather'))),
      'no dead letter twice in the lake',
    );
    assert.deepEqual([w.streamAfter, c0.streamAfter], [0, 0], 'Redis keeps nothing the lake holds');
    assert.equal(w.bronze, w.streamEntries, 'every stream entry is in bronze once');
    assert.equal(w.bronzeDistinct, w.bronze);
    assert.equal(w.silver, expected.silver, 'silver: one row per station-hour');
    assert.equal(
      w.silverExpected,
      expected.silver,
      'silver holds exactly the latest valid revision of each station-hour',
    );
    assert.equal(w.quarantine, expected.quarantine, 'every implausible revision is quarantined once');
    assert.equal(w.goldObservations, w.silver, 'gold.weather_daily counts every silver row once');
    assert.equal(w.postgresObservations, w.goldObservations, 'PostgreSQL serves the same gold');
    assert.equal(w.postgresRows, w.goldRows);
    const c = counts.crypto;
    assert.equal(c.bronze, c.streamEntries, 'every tick in the stream is in bronze once');
    assert.equal(c.silver, c.uniqueTicks, 'every tick is in silver once');
    assert.equal(c.postgresMinuteTicks, c.uniqueTicks, 'the minute candles count every tick once');
    // How many seconds the stream lived between kills depends on the machine's load: require a full poll of the
    // ticker (every coin once), not a share of the run's seconds.
    assert.ok(c.uniqueTicks >= COINS, `only ${c.uniqueTicks} ticks were collected`);
  });
});

async function statusLine(rt: Runtime, processes: Supervised[]): Promise<string> {
  const stream = await bronzeGroupState(rt.redis(), streamKey(rt.config.redisPrefix, 'weather'));
  const runs = processes.map((p) => `${p.name} ${p.stats.starts}/${p.stats.killed}k/${p.stats.failed}f`).join(', ');
  return `weather stream ${stream.length} entries, ${stream.undelivered + stream.pending} not in bronze yet; runs/kills/failures: ${runs}`;
}

interface LayerCounts {
  weather: {
    streamEntries: number;
    streamDistinct: number;
    deadLetters: number;
    deadLettersDistinct: number;
    streamAfter: number;
    bronze: number;
    bronzeDistinct: number;
    silver: number;
    silverExpected: number;
    quarantine: number;
    goldRows: number;
    goldObservations: number;
    postgresRows: number;
    postgresObservations: number;
  };
  crypto: {
    streamEntries: number;
    uniqueTicks: number;
    deadLetters: number;
    streamAfter: number;
    bronze: number;
    silver: number;
    postgresMinuteTicks: number;
  };
}

async function countLayers(rt: Runtime, expected: ExpectedWeather): Promise<LayerCounts> {
  const redis = rt.redis();
  const weatherIds = new Set<string>();
  let weatherEntries = 0;
  const ticks = new Set<string>();
  let cryptoEntries = 0;
  for (const e of await auditAll(redis, streamKey(rt.config.redisPrefix, 'weather'))) {
    weatherEntries++;
    weatherIds.add(e.event_id);
  }
  for (const e of await auditAll(redis, streamKey(rt.config.redisPrefix, 'crypto'))) {
    cryptoEntries++;
    ticks.add(e.natural_key);
  }
  const silverIds = [...expected.silverPayloads].map((text) => {
    const parsed = parseWeather(text);
    assert.ok(parsed.ok);
    return eventIdOf('weather', parsed.naturalKey, text);
  });
  const lake = await withDuck(async (duck) => {
    for (const [layer, name] of [
      ['bronze', 'weather'],
      ['silver', 'weather_observations'],
      ['silver', 'weather_observations__quarantine'],
      ['gold', 'weather_daily'],
      ['bronze', 'crypto'],
      ['silver', 'crypto_ticks'],
    ] as const) {
      await attachTable(rt, duck, { layer, name });
    }
    // Dead letters: those committed to the lake, and those (if any) still in Redis.
    const letters = async (source: string) => {
      const ref = { layer: 'bronze', name: deadLetterTable(source) } as const;
      if (!(await rt.catalog.currentSnapshot(ref))) return { rows: 0, distinct: 0 };
      await attachTable(rt, duck, ref);
      const [r] = await duck.all(
        `select count(*)::integer as rows, count(distinct event_id)::integer as distinct from bronze.${ref.name}`,
      );
      return { rows: r!.rows as number, distinct: r!.distinct as number };
    };
    const n = async (sql: string) => Number(await duck.scalar(sql));
    await duck.run('create temp table expected_silver (event_id varchar)');
    const appender = await duck.connection.createAppender('expected_silver');
    for (const id of silverIds) {
      appender.appendVarchar(id);
      appender.endRow();
    }
    appender.closeSync();
    return {
      bronze: await n('select count(*) from bronze.weather'),
      bronzeDistinct: await n('select count(distinct event_id) from bronze.weather'),
      silver: await n('select count(*) from silver.weather_observations'),
      silverExpected: await n('select count(*) from silver.weather_observations join expected_silver using (event_id)'),
      quarantine: await n('select count(*) from silver.weather_observations__quarantine'),
      goldRows: await n('select count(*) from gold.weather_daily'),
      goldObservations: await n('select sum(observation_count) from gold.weather_daily'),
      cryptoBronze: await n('select count(*) from bronze.crypto'),
      cryptoSilver: await n('select count(*) from silver.crypto_ticks'),
      weatherLetters: await letters('weather'),
      cryptoLetters: await letters('crypto'),
    };
  });
  const pgCount = async (sql: string) => Number((await rt.pool.query<{ n: string }>(sql)).rows[0]!.n);
  return {
    weather: {
      streamEntries: weatherEntries,
      streamDistinct: weatherIds.size,
      deadLetters: lake.weatherLetters.rows + (await redis.xlen(deadLetterKey(rt.config.redisPrefix, 'weather'))),
      deadLettersDistinct: lake.weatherLetters.distinct,
      streamAfter: await redis.xlen(streamKey(rt.config.redisPrefix, 'weather')),
      bronze: lake.bronze,
      bronzeDistinct: lake.bronzeDistinct,
      silver: lake.silver,
      silverExpected: lake.silverExpected,
      quarantine: lake.quarantine,
      goldRows: lake.goldRows,
      goldObservations: lake.goldObservations,
      postgresRows: await pgCount('select count(*) as n from gold.weather_daily'),
      postgresObservations: await pgCount('select sum(observation_count) as n from gold.weather_daily'),
    },
    crypto: {
      streamEntries: cryptoEntries,
      uniqueTicks: ticks.size,
      deadLetters: lake.cryptoLetters.rows + (await redis.xlen(deadLetterKey(rt.config.redisPrefix, 'crypto'))),
      streamAfter: await redis.xlen(streamKey(rt.config.redisPrefix, 'crypto')),
      bronze: lake.cryptoBronze,
      silver: lake.cryptoSilver,
      postgresMinuteTicks: await pgCount('select sum(ticks) as n from gold.crypto_ohlc_minute'),
    },
  };
}

function formatCounts(c: LayerCounts, expected: ExpectedWeather): string {
  const rows: [string, string | number, string | number][] = [
    ['layer', 'weather', 'crypto'],
    ['records the source published', expected.served, '-'],
    ["unique well-formed (the test's count)", expected.bronze, '-'],
    ['stream entries', c.weather.streamEntries, c.crypto.streamEntries],
    ['distinct events in the stream', c.weather.streamDistinct, c.crypto.uniqueTicks],
    ['dead-lettered', c.weather.deadLetters, c.crypto.deadLetters],
    ['stream entries left in Redis', c.weather.streamAfter, c.crypto.streamAfter],
    ['bronze rows', c.weather.bronze, c.crypto.bronze],
    ['silver rows', c.weather.silver, c.crypto.silver],
    ['silver rows the test expects', c.weather.silverExpected, c.crypto.uniqueTicks],
    ['silver quarantine', c.weather.quarantine, '-'],
    ['gold rows (lake)', c.weather.goldRows, '-'],
    ['observations in gold (lake)', c.weather.goldObservations, '-'],
    ['gold rows (PostgreSQL)', c.weather.postgresRows, '-'],
    ['observations / ticks in PostgreSQL', c.weather.postgresObservations, c.crypto.postgresMinuteTicks],
  ];
  return rows.map(([a, b, d]) => `${a.padEnd(36)} ${String(b).padStart(10)} ${String(d).padStart(10)}`).join('\n');
}
