// A collector process killed with SIGKILL mid-run (after some batches are in the stream, before its cursor is saved)
// and run again: the stream ends up with every event exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeEnvelope } from '../../streams/envelope.ts';
import { deadLetterKey, streamKey } from '../../streams/keys.ts';
import { startWeatherFixtureServer, type FixtureServer } from '../../ingest/sources/weather/fixtures/server.ts';
import { expectedWeather } from '../support/weather-expected.ts';
import { spawnCli } from '../support/cli.ts';
import { isolatedRuntime, type Isolated } from '../support/isolated.ts';

const FIXTURE = { days: 8, seed: 31 }; // ≈ 2,400 records: 3 batches of 1,000

function ingestRun(env: Isolated, baseUrl: string, failpoint = '') {
  const vars = {
    DATABASE_URL: env.config.databaseUrl,
    STRATA_REDIS_PREFIX: env.config.redisPrefix,
    STRATA_LAKE_URL: env.config.lakeUrl,
    STRATA_FAILPOINT: failpoint,
  };
  return spawnCli('bin/ingest-run.ts', ['weather', '--base-url', baseUrl], vars).exited;
}

// After the 1st batch is in the stream (the 2nd may be too, two batches being out at once, but the 3rd waits for the
// 1st: decision 0040); and before the 3rd (last) is, when the collector has already proposed its cursor.
const KILL_POINTS = ['ingest-after-publish:1', 'ingest-before-publish:3'];

for (const killPoint of KILL_POINTS) {
  describe(`collector killed mid-run at ${killPoint}`, { timeout: 120_000 }, () => {
    let env: Isolated;
    let fixtures: FixtureServer;
    const expected = expectedWeather(FIXTURE);
    before(async () => {
      env = await isolatedRuntime();
      fixtures = await startWeatherFixtureServer(0, '127.0.0.1', FIXTURE);
    });
    after(async () => {
      await fixtures?.close();
      await env?.cleanup();
    });

    it('loses nothing and duplicates nothing when restarted', async () => {
      const killed = await ingestRun(env, fixtures.url, killPoint);
      assert.equal(killed.signal, 'SIGKILL', killed.output);
      const partial = await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather'));
      assert.ok(
        partial > 0 && partial < expected.bronze,
        `killed after part of the run: ${partial} of ${expected.bronze}`,
      );

      const rerun = await ingestRun(env, fixtures.url);
      assert.equal(rerun.code, 0, rerun.output);
      const entries = (await env.rt.redis().xrange(streamKey(env.config.redisPrefix, 'weather'), '-', '+')) as [
        string,
        string[],
      ][];
      const ids = entries.map(([, f]) => decodeEnvelope(f[1]!).event_id);
      assert.equal(ids.length, expected.bronze, 'every well-formed record is in the stream');
      assert.equal(new Set(ids).size, ids.length, 'none twice');
      assert.equal(await env.rt.redis().xlen(deadLetterKey(env.config.redisPrefix, 'weather')), expected.deadLetters);
      // The killed run is not left "running" for good: the next run's start found its process gone.
      const { rows: runs } = await env.rt.pool.query<{ status: string; error: string | null }>(
        "select status, error from strata_catalog.runs where kind = 'collect' and target = 'weather' order by started_at",
      );
      assert.equal(runs.length, 2);
      assert.equal(runs[0]!.status, 'failed');
      assert.match(runs[0]!.error!, /^interrupted: its process \(.+:\d+\) ended before the run finished$/);
      assert.deepEqual(runs[1], { status: 'succeeded', error: null });
    });
  });
}
