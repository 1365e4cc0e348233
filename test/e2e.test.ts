// The whole weather flow on the real local services, for both lake backends: exact counts at every stage,
// gold values equal to the test's own computation, the API's answer, and a second run that changes nothing.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startWeatherFixtureServer, type FixtureServer } from '../ingest/sources/weather/fixtures/server.ts';
import { createApp } from '../serving/app.ts';
import { runSourcePipeline, stageTotals, type SourcePipeline } from '../pipeline/run-source.ts';
import { weatherSource } from '../ingest/sources/weather/source.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable } from '../lake/lake-views.ts';
import { expectedWeather, type ExpectedDaily } from './support/weather-expected.ts';
import { isolatedRuntime, type Isolated, type LakeKind } from './support/isolated.ts';

const WEATHER: SourcePipeline = { source: weatherSource, silver: 'weather_observations', gold: 'weather_daily' };

const FIXTURE = { days: 3, seed: 4242 };

for (const lake of ['file', 's3'] as LakeKind[]) {
  describe(`weather pipeline end to end (${lake}:// lake)`, () => {
    const expected = expectedWeather(FIXTURE);
    let env: Isolated;
    let fixtures: FixtureServer;

    before(async () => {
      env = await isolatedRuntime(lake);
      fixtures = await startWeatherFixtureServer(0, '127.0.0.1', FIXTURE);
    });
    after(async () => {
      await fixtures?.close();
      await env?.cleanup();
    });

    it('uses a fixture with every kind of noise', () => {
      assert.ok(
        expected.streamDuplicates > 0 && expected.deadLetters > 0 && expected.quarantine > 0,
        JSON.stringify(expected),
      );
      assert.ok(expected.bronze > expected.silver + expected.quarantine, 'the fixture must contain corrections');
    });

    it('carries every record to the stage it belongs in, exactly once', async () => {
      const run = await runSourcePipeline(env.rt, WEATHER, fixtures.url);
      assert.equal(run.ingest.status, 'succeeded', run.ingest.error);
      assert.equal(run.ingest.rowsIn, expected.served);
      assert.equal(run.ingest.rowsOut, expected.bronze);
      assert.equal(run.ingest.duplicates, expected.streamDuplicates);
      assert.equal(run.ingest.rowsRejected, expected.deadLetters);
      assert.equal(run.ingest.deadLetterDuplicates, expected.deadLetterDuplicates);
      assert.equal(run.bronze.rowsOut, expected.bronze);
      assert.deepEqual(await stageTotals(env.rt, WEATHER), {
        stream: 0,
        deadLetterStream: 0,
        deadLetters: expected.deadLetters,
        bronze: expected.bronze,
        silver: expected.silver,
        quarantine: expected.quarantine,
        goldLake: expected.daily.length,
        goldPostgres: expected.daily.length,
      });
    });

    it('keeps exactly the latest valid revision of each station-hour in silver', async () => {
      const payloads = await withDuck(async (duck) => {
        await attachTable(env.rt, duck, { layer: 'bronze', name: 'weather' });
        await attachTable(env.rt, duck, { layer: 'silver', name: 'weather_observations' });
        const rows = await duck.all(
          'select b.payload from silver.weather_observations s join bronze.weather b using (event_id)',
        );
        return rows.map((r) => r.payload as string);
      });
      assert.equal(payloads.length, expected.silver);
      assert.deepEqual(new Set(payloads), expected.silverPayloads);
    });

    it('computes weather_daily as the test does, in the lake and in PostgreSQL', async () => {
      const { rows } = await env.rt.pool.query('select * from gold.weather_daily order by city, date');
      assertDaily(rows, expected.daily);
      const lakeRows = await withDuck(async (duck) => {
        await attachTable(env.rt, duck, { layer: 'gold', name: 'weather_daily' });
        return (
          await duck.allJson(
            'select * exclude (observation_count), observation_count::integer as observation_count from gold.weather_daily order by city, date',
          )
        ).rows;
      });
      assertDaily(lakeRows, expected.daily);
    });

    it('serves the Paris rows over GET /v1/tables/weather_daily?city=Paris', async () => {
      const app = createApp({ pool: env.rt.pool });
      const response = await app.request('/v1/tables/weather_daily?city=Paris&order=date&limit=1000&count=exact');
      assert.equal(response.status, 200);
      const body = (await response.json()) as { total: number; rows: Record<string, unknown>[] };
      const paris = expected.daily.filter((d) => d.city === 'Paris');
      assert.equal(body.total, paris.length);
      assertDaily(body.rows, paris);
      const filtered = (await (
        await app.request(`/v1/tables/weather_daily?city=Paris&date[gte]=${paris[1]!.date}&count=exact`)
      ).json()) as { total: number };
      assert.equal(filtered.total, paris.length - 1);
    });

    it('changes no count when run again (incremental: only the newest readings come again, as duplicates)', async () => {
      const before = await stageTotals(env.rt, WEATHER);
      const run = await runSourcePipeline(env.rt, WEATHER, fixtures.url);
      assert.equal(run.ingest.rowsIn, expected.servedAtNewestUpdate);
      assert.equal(run.ingest.rowsOut, 0);
      assert.equal(run.ingest.rowsRejected, 0);
      assert.equal(run.ingest.duplicates + run.ingest.deadLetterDuplicates, expected.servedAtNewestUpdate);
      assert.equal(run.bronze.rowsOut, 0);
      assert.deepEqual(await stageTotals(env.rt, WEATHER), before);
    });

    it('names the collector run in the run log', async () => {
      const { rows } = await env.rt.pool.query(
        "select kind, status, rows_in, rows_out from strata_catalog.runs where kind = 'collect' order by started_at",
      );
      assert.deepEqual(rows[0], {
        kind: 'collect',
        status: 'succeeded',
        rows_in: expected.served,
        rows_out: expected.bronze,
      });
    });
  });
}

function assertDaily(rows: Record<string, unknown>[], expected: ExpectedDaily[]): void {
  assert.equal(rows.length, expected.length);
  rows.forEach((row, i) => {
    const e = expected[i]!;
    assert.deepEqual(
      [row.city, row.date, row.temperature_min_c, row.temperature_max_c, row.observation_count],
      [e.city, e.date, e.min, e.max, e.count],
    );
    // Rounded to 2 decimals on both sides; an exact tie (x.xx5) may round either way.
    assert.ok(
      Math.abs((row.temperature_mean_c as number) - e.mean) <= 0.01 + 1e-9,
      `${e.city} ${e.date} mean ${row.temperature_mean_c} vs ${e.mean}`,
    );
    assert.ok(
      Math.abs((row.precipitation_mm as number) - e.precipitation) <= 0.01 + 1e-9,
      `${e.city} ${e.date} precipitation ${row.precipitation_mm} vs ${e.precipitation}`,
    );
  });
}
