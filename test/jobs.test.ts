// The job runner on the real services: incremental runs, backfills, full refreshes, compaction underneath, schema
// evolution, one run at a time, and the commands people type (job --dry-run, sql -c, lake:catalog).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { PROJECT_ROOT } from '../core/config.ts';
import { withDuck } from '../core/duckdb.ts';
import { withJobLock } from '../jobs/job-lock.ts';
import { planJob, runJob } from '../jobs/job-runner.ts';
import { attachTable } from '../lake/lake-views.ts';
import type { TableRunResult } from '../jobs/table-spec.ts';
import { compactTable } from '../lake/compact.ts';
import { loadGold } from '../gold/gold-job.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { scriptArgs } from '../core/modules.ts';

const run = promisify(execFile);

const reading = (station: string, city: string, observedAt: string, temperature: number, updatedAt = observedAt) => ({
  key: `${station}|${observedAt}|${updatedAt}`,
  observedAt,
  payload: {
    station_id: station,
    city,
    country: 'FR',
    observed_at: observedAt,
    temperature_c: temperature,
    humidity_pct: 60,
    wind_kph: 5,
    precipitation_mm: 0,
    updated_at: updatedAt,
  },
});
const DAY1 = [
  reading('P1', 'Paris', '2026-11-20T08:00:00Z', 7),
  reading('P1', 'Paris', '2026-11-20T09:00:00Z', 9),
  reading('L1', 'Lyon', '2026-11-20T08:00:00Z', 5),
];
const DAY2 = [reading('P1', 'Paris', '2026-11-21T08:00:00Z', 6), reading('L1', 'Lyon', '2026-11-21T08:00:00Z', 4)];

const byTable = (results: TableRunResult[]) => Object.fromEntries(results.map((r) => [r.target, r]));
const weatherTables = { select: ['weather_observations+'] };

describe('incremental job runs', { timeout: 180_000 }, () => {
  let env: Isolated;
  before(async () => {
    env = await isolatedRuntime();
    await loadBronze(env.rt, 'weather', DAY1);
    await loadBronze(env.rt, 'weather', DAY2);
  });
  after(async () => env?.cleanup());

  const filesOf = async (layer: 'silver' | 'gold', name: string) =>
    Object.fromEntries(
      ((await env.rt.catalog.currentSnapshot({ layer, name }))?.files ?? []).map((f) => [
        Object.values(f.partitionValues ?? {})[0],
        f.fileId,
      ]),
    );
  const daily = () =>
    env.rt.pool
      .query(
        'select city, date, temperature_min_c, temperature_max_c, observation_count from gold.weather_daily order by city, date',
      )
      .then((r) => r.rows);

  it('builds every table on the first run, reading each bronze file', async () => {
    const results = byTable(await runJob(env.rt, { layer: 'silver', ...weatherTables }));
    assert.equal(results['silver.weather_observations']!.status, 'succeeded');
    assert.equal(results['silver.weather_observations']!.filesIn, 2);
    assert.equal(results['silver.weather_observations']!.rowsOut, 5);
    assert.equal(results['gold.weather_daily']!.rowsOut, 4);
    await loadGold(env.rt, Object.values(results));
    assert.deepEqual(await daily(), [
      { city: 'Lyon', date: '2026-11-20', temperature_min_c: 5, temperature_max_c: 5, observation_count: 1 },
      { city: 'Lyon', date: '2026-11-21', temperature_min_c: 4, temperature_max_c: 4, observation_count: 1 },
      { city: 'Paris', date: '2026-11-20', temperature_min_c: 7, temperature_max_c: 9, observation_count: 2 },
      { city: 'Paris', date: '2026-11-21', temperature_min_c: 6, temperature_max_c: 6, observation_count: 1 },
    ]);
  });

  it('processes 0 files when run again with no new bronze', async () => {
    const snapshots = [
      await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'weather_observations' }),
      await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'weather_daily' }),
    ];
    const results = await runJob(env.rt, { layer: 'silver', ...weatherTables });
    assert.deepEqual(
      results.map((r) => [r.target, r.status, r.filesIn, r.rowsIn]),
      [
        ['silver.weather_observations', 'up to date', 0, 0],
        ['gold.weather_daily', 'up to date', 0, 0],
      ],
    );
    assert.deepEqual(
      [
        await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'weather_observations' }),
        await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'weather_daily' }),
      ].map((s) => s?.snapshotId),
      snapshots.map((s) => s?.snapshotId),
    );
  });

  it('reads only the new file and rewrites only the day it touches', async () => {
    const silverBefore = await filesOf('silver', 'weather_observations');
    const goldBefore = await filesOf('gold', 'weather_daily');
    // A correction of Paris 09:00 on day 1 and a new Lyon reading on day 1.
    await loadBronze(env.rt, 'weather', [
      reading('P1', 'Paris', '2026-11-20T09:00:00Z', 11, '2026-11-20T12:00:00Z'),
      reading('L1', 'Lyon', '2026-11-20T09:00:00Z', 6),
    ]);
    const results = byTable(await runJob(env.rt, { layer: 'silver', ...weatherTables }));
    assert.deepEqual(
      [
        results['silver.weather_observations']!.filesIn,
        results['silver.weather_observations']!.rowsIn,
        results['silver.weather_observations']!.partitions,
      ],
      [1, 2, ['2026-11-20']],
    );
    assert.deepEqual(
      [results['gold.weather_daily']!.filesIn, results['gold.weather_daily']!.partitions],
      [1, ['2026-11-20']],
    );
    const silverAfter = await filesOf('silver', 'weather_observations');
    const goldAfter = await filesOf('gold', 'weather_daily');
    assert.equal(silverAfter['2026-11-21'], silverBefore['2026-11-21'], 'day 2 of silver keeps its file');
    assert.notEqual(silverAfter['2026-11-20'], silverBefore['2026-11-20']);
    assert.equal(goldAfter['2026-11-21'], goldBefore['2026-11-21'], 'day 2 of gold keeps its file');
    assert.equal(await env.rt.catalog.rowCount({ layer: 'silver', name: 'weather_observations' }), 6);
    await loadGold(env.rt, Object.values(results));
    assert.deepEqual(
      (await daily()).filter((r) => r.date === '2026-11-20'),
      [
        { city: 'Lyon', date: '2026-11-20', temperature_min_c: 5, temperature_max_c: 6, observation_count: 2 },
        { city: 'Paris', date: '2026-11-20', temperature_min_c: 7, temperature_max_c: 11, observation_count: 2 },
      ],
    );
  });

  it('backfills one day: rewrites that day only, from all of its input, with the same values', async () => {
    const silverBefore = await filesOf('silver', 'weather_observations');
    const goldBefore = await filesOf('gold', 'weather_daily');
    const rowsBefore = await daily();
    const plans = await planJob(env.rt, {
      layer: 'silver',
      ...weatherTables,
      range: { from: '2026-11-21', to: '2026-11-21' },
    });
    assert.deepEqual(
      plans.map((p) => [p.plan.scope, p.plan.partitions]),
      [
        ['partitions', ['2026-11-21']],
        ['partitions', ['2026-11-21']],
      ],
    );
    const results = byTable(
      await runJob(env.rt, { layer: 'silver', ...weatherTables, range: { from: '2026-11-21', to: '2026-11-21' } }),
    );
    assert.deepEqual(
      [results['silver.weather_observations']!.filesIn, results['silver.weather_observations']!.partitions],
      [1, ['2026-11-21']],
    );
    const silverAfter = await filesOf('silver', 'weather_observations');
    const goldAfter = await filesOf('gold', 'weather_daily');
    assert.equal(silverAfter['2026-11-20'], silverBefore['2026-11-20']);
    assert.notEqual(silverAfter['2026-11-21'], silverBefore['2026-11-21']);
    assert.equal(goldAfter['2026-11-20'], goldBefore['2026-11-20']);
    assert.notEqual(goldAfter['2026-11-21'], goldBefore['2026-11-21']);
    await loadGold(env.rt, Object.values(results));
    assert.deepEqual(await daily(), rowsBefore);
  });

  it('rebuilds everything on --full-refresh, to the same rows', async () => {
    const rowsBefore = await daily();
    const results = await runJob(env.rt, { layer: 'silver', ...weatherTables, fullRefresh: true });
    assert.deepEqual(
      results.map((r) => [r.status, r.filesIn]),
      [
        ['succeeded', 3],
        ['succeeded', 2],
      ],
    );
    await loadGold(env.rt, results);
    assert.deepEqual(await daily(), rowsBefore);
  });

  it('does not read bronze again after compaction merged files it had processed', async () => {
    const compacted = await compactTable(env.rt, { layer: 'bronze', name: 'weather' });
    assert.ok(compacted.partitionsCompacted >= 1, 'the test needs a partition with several files');
    const results = await runJob(env.rt, { layer: 'silver', ...weatherTables });
    assert.deepEqual(
      results.map((r) => [r.status, r.filesIn]),
      [
        ['up to date', 0],
        ['up to date', 0],
      ],
    );
  });

  it('lets one job run at a time: a second one exits naming the first, or waits with --wait', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const holder = withJobLock(env.rt, { label: 'job:silver (held by the test)' }, () => held);
    await new Promise((r) => setTimeout(r, 200));
    await assert.rejects(
      runJob(env.rt, { layer: 'silver', ...weatherTables }),
      /Another job run is in progress \(strata job:silver \(held by the test\).*--wait/s,
    );
    let waited = false;
    const waiting = runJob(env.rt, { layer: 'silver', ...weatherTables, wait: true }).then((r) => {
      waited = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(waited, false, 'the waiting run must not start while the lock is held');
    release();
    await holder;
    assert.deepEqual(
      (await waiting).map((r) => r.status),
      ['up to date', 'up to date'],
    );
  });

  describe('the commands', () => {
    const env2 = () => ({
      ...process.env,
      DATABASE_URL: env.config.databaseUrl,
      STRATA_REDIS_PREFIX: env.config.redisPrefix,
      STRATA_LAKE_URL: env.config.lakeUrl,
    });
    const pnpm = (args: string[]) =>
      run(process.execPath, scriptArgs(args[0]!, args.slice(1)), { cwd: PROJECT_ROOT, env: env2(), timeout: 60_000 });

    it('pnpm sql -c prints the count of gold.weather_daily', async () => {
      const { stdout } = await pnpm(['bin/sql.ts', '-c', 'select count(*) as n from gold.weather_daily']);
      assert.match(stdout, /\bn\b[\s\S]*\b4\b/);
      assert.match(stdout, /\(1 row\)/);
    });

    it("pnpm sql names the lake's tables for one that does not exist, and an unknown option with the valid ones", async () => {
      const failed = await pnpm(['bin/sql.ts', '-c', 'select * from silver.nosuch']).then(
        () => assert.fail('no such table'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(
        failed.stderr,
        /no table "nosuch" in the lake; its tables: .*bronze\.weather.*silver\.weather_observations/,
      );
      // DuckDB's own suggestion (one of its catalog tables) is not passed on.
      assert.doesNotMatch(failed.stderr, /Did you mean|Catalog Error/);
      const bogus = await pnpm(['bin/sql.ts', '--bogus']).then(
        () => assert.fail('no such option'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(bogus.code, 2);
      assert.match(
        bogus.stderr,
        /^Unknown option --bogus; the options are --help, --command, --as-of\. Run with --help/,
      );
    });

    it("pnpm sql --as-of a time before the first snapshot says so and names that snapshot's time", async () => {
      const [first] = await env.rt.catalog.firstCommits();
      const before = new Date(first!.committedAt.getTime() - 60_000).toISOString();
      const failed = await pnpm([
        'bin/sql.ts',
        '--as-of',
        before,
        '-c',
        'select count(*) from silver.weather_observations',
      ]).then(
        () => assert.fail('a time before the first snapshot must fail'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(
        failed.stderr,
        new RegExp(
          `Nothing was in the lake at ${before}: its first snapshot \\(bronze\\.weather\\) was committed at ${first!.committedAt.toISOString()}`,
        ),
      );
    });

    it("pnpm sql --as-of a time before a table existed names the table and its first snapshot's time", async () => {
      const firsts = await env.rt.catalog.firstCommits();
      const bronze = firsts.find((f) => f.table.layer === 'bronze')!;
      const silver = firsts.find((f) => f.table.name === 'weather_observations')!;
      assert.ok(
        silver.committedAt.getTime() - bronze.committedAt.getTime() >= 2,
        'the test needs a millisecond between the two',
      );
      const between = new Date(bronze.committedAt.getTime() + 1).toISOString();
      const { stdout } = await pnpm([
        'bin/sql.ts',
        '--as-of',
        between,
        '-c',
        'select count(*) as n from bronze.weather',
      ]);
      assert.match(stdout, /\bn\b[\s\S]*\b3\b/); // the first bronze file: DAY1's three readings
      const failed = await pnpm([
        'bin/sql.ts',
        '--as-of',
        between,
        '-c',
        'select count(*) from silver.weather_observations',
      ]).then(
        () => assert.fail('silver did not exist yet'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(
        failed.stderr,
        new RegExp(
          `silver\\.weather_observations did not exist yet at ${between}: its first snapshot was committed at ${silver.committedAt.toISOString()}`,
        ),
      );
    });

    it('job --dry-run prints the plan and changes nothing', async () => {
      await loadBronze(env.rt, 'weather', [reading('P1', 'Paris', '2026-11-22T08:00:00Z', 3)]);
      const before = await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'weather_observations' });
      const { stdout } = await pnpm(['bin/job.ts', 'silver', '--select', 'weather_observations', '--dry-run']);
      assert.match(
        stdout,
        /silver\.weather_observations\s+merge\s+run\s+new\s+1\s+1\s+1 new file\(s\) in bronze\.weather/,
      );
      assert.equal(
        (await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'weather_observations' }))?.snapshotId,
        before?.snapshotId,
      );
    });

    it('pnpm lake:catalog writes a DuckDB file whose views the DuckDB CLI can query', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'strata-catalog-'));
      try {
        const file = path.join(dir, 'lake.duckdb');
        const { stdout } = await pnpm(['bin/lake.ts', 'catalog', '--output', file]);
        assert.match(stdout, /gold\.weather_daily/);
        const db = await DuckDBInstance.create(file, { access_mode: 'READ_ONLY' });
        const connection = await db.connect();
        const rows = (
          await connection.runAndReadAll('select count(*)::integer as n from gold.weather_daily')
        ).getRowObjects();
        assert.deepEqual(rows, [{ n: 4 }]);
        connection.closeSync();
        db.closeSync();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('reads silver as the job wrote it', async () => {
    const rows = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'silver', name: 'weather_observations' });
      return (
        await duck.allJson(
          "select temperature_c from silver.weather_observations where station_id = 'P1' and observed_at = '2026-11-20T09:00:00Z'",
        )
      ).rows;
    });
    assert.deepEqual(rows, [{ temperature_c: 11 }]);
  });
});

describe('four years of daily history in one batch', { timeout: 180_000 }, () => {
  let env: Isolated;
  const DAYS = 1461;
  // Two stations, one reading a day each, 2019-01-01 … 2022-12-31: 2,922 rows over 1,461 observation dates.
  const history = Array.from({ length: DAYS }, (_, d) => new Date(Date.UTC(2019, 0, 1 + d, 12)).toISOString()).flatMap(
    (at, d) => [reading('P1', 'Paris', at, 10 + (d % 7)), reading('L1', 'Lyon', at, 5 + (d % 5))],
  );
  before(async () => {
    env = await isolatedRuntime();
  });
  after(async () => env?.cleanup());

  it('is one bronze file, whose observation dates are in the catalog', async () => {
    assert.equal(history.length, 2922);
    assert.equal(await loadBronze(env.rt, 'weather', history), 2922);
    const files = (await env.rt.catalog.currentSnapshot({ layer: 'bronze', name: 'weather' }))!.files;
    assert.ok(files.length <= 4, `${files.length} bronze files`);
    assert.deepEqual(
      files.map((f) => f.observedDates),
      [[['2019-01-01', '2022-12-31']]],
    );
  });

  it('builds silver and gold from it, one partition per day, the values exact', async () => {
    const results = byTable(await runJob(env.rt, { layer: 'silver', ...weatherTables }));
    assert.equal(
      results['silver.weather_observations']!.status,
      'succeeded',
      results['silver.weather_observations']!.error,
    );
    assert.equal(results['silver.weather_observations']!.rowsOut, 2922);
    assert.equal(results['silver.weather_observations']!.partitions.length, DAYS);
    assert.equal(results['gold.weather_daily']!.rowsOut, 2 * DAYS);
    const rows = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'gold', name: 'weather_daily' });
      return duck.all(
        'select city, count(*)::integer as days, sum(temperature_mean_c)::double as total from gold.weather_daily group by city order by city',
      );
    });
    const expectedTotal = (base: number, mod: number) =>
      Array.from({ length: DAYS }, (_, d) => base + (d % mod)).reduce((a, b) => a + b, 0);
    assert.deepEqual(rows, [
      { city: 'Lyon', days: DAYS, total: expectedTotal(5, 5) },
      { city: 'Paris', days: DAYS, total: expectedTotal(10, 7) },
    ]);
  });

  it('rebuilds one day of that history from the one file, and only that day', async () => {
    const results = byTable(
      await runJob(env.rt, { layer: 'silver', ...weatherTables, range: { from: '2020-02-29', to: '2020-02-29' } }),
    );
    assert.deepEqual(
      [
        results['silver.weather_observations']!.partitions,
        results['silver.weather_observations']!.rowsOut,
        results['gold.weather_daily']!.partitions,
      ],
      [['2020-02-29'], 2, ['2020-02-29']],
    );
    assert.equal(await env.rt.catalog.rowCount({ layer: 'silver', name: 'weather_observations' }), 2922);
  });
});
