// `pnpm bench:jobs`: silver + gold (weather_observations → weather_daily) over N generated bronze rows through the
// job runner, next to the same SQL run bare in DuckDB on the same files in the same run: times, ratio, peak memory.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { config, PROJECT_ROOT } from '../../core/config.ts';
import { sqlString } from '../../core/duckdb.ts';
import type { DataFile } from '../../lake/catalog/catalog.ts';
import { openJobSession } from '../../jobs/job-session.ts';
import { servicesUp } from '../../infra/local/index.ts';
import { isolatedRuntime, type Isolated } from '../../infra/local/sandbox.ts';
import { median } from './report.ts';
import { scriptArgs } from '../../core/modules.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:jobs [--rows <n>] [--rounds <n>] [--json]',
  summary:
    'Generates N weather events as bronze Parquet (one file per day, ~10 % revisions, 0.1 % impossible readings), then times\n' +
    'silver.weather_observations + gold.weather_daily run by the job runner (full refresh: expectations, quarantine, merge,\n' +
    'partitioned files, catalog commits) and the same SQL files run bare in DuckDB, each in its own process, and reports\n' +
    "both times, their ratio (goal ≤ 1.25) and the runner's peak memory (goal ≤ 2 GiB).",
  options: {
    rows: { type: 'string', valueName: 'n', description: 'Bronze rows to generate', default: '10000000' },
    rounds: {
      type: 'string',
      valueName: 'n',
      description: 'Rounds (bare then runner, alternating first); medians are reported',
      default: '3',
    },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

const exec = promisify(execFile);
const STATIONS = 5000;

/** Writes the bronze files with DuckDB and commits them as bronze.weather. */
async function generateBronze(env: Isolated, rows: number): Promise<number> {
  const dir = path.join(env.config.dataDir, 'tmp', `bench-jobs-gen-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const duck = await openJobSession(env.config);
  try {
    // Every 10th row revises the previous row's station-hour with a later updated_at; every 1000th is impossible (999 °C).
    await duck.run(`copy (
      with g as (
        select i, case when i % 10 = 9 then i - 1 else i end as k, i % 10 = 9 as revision from range(${rows}) t(i)
      ), r as (
        select i, revision, 'ST-' || (k % ${STATIONS}) as station, (['Paris', 'Lyon', 'Berlin', 'Madrid', 'Rome', 'Oslo', 'Lisbon', 'Vienna'])[(k % ${STATIONS}) % 8 + 1] as city,
               timestamptz '2026-01-01 00:00:00+00' + to_hours((k // ${STATIONS})::bigint) as observed_at,
               case when i % 1000 = 7 then 999 else ((i * 7) % 400) / 10 - 10 end as temperature
        from g
      )
      select 'weather' as source, md5(i::varchar) as event_id, station || '|' || strftime(observed_at, '%Y-%m-%dT%H') as natural_key,
             observed_at, observed_at + interval 5 minute as ingested_at, 1 as schema_version, 'bench' as run_id,
             '{"station_id":"' || station || '","city":"' || city || '","country":"EU","observed_at":"' || strftime(observed_at, '%Y-%m-%dT%H:%M:%SZ') ||
             '","temperature_c":' || temperature || ',"humidity_pct":' || (i % 100) || ',"wind_kph":' || ((i % 300) / 10) ||
             ',"precipitation_mm":' || ((i % 11) / 10) || ',"updated_at":"' || strftime(observed_at + to_minutes(case when revision then 90 else 10 end), '%Y-%m-%dT%H:%M:%SZ') || '"}' as payload,
             '0-' || (i + 1) as _stream_id, strftime(observed_at, '%Y-%m-%d') as dt
      from r
    ) to ${sqlString(dir)} (format parquet, compression zstd, partition_by (dt))`);
    const files: DataFile[] = [];
    for (const folder of (await readdir(dir)).sort()) {
      const dt = folder.slice('dt='.length);
      for (const name of await readdir(path.join(dir, folder))) {
        const local = path.join(dir, folder, name);
        const count = Number(await duck.scalar(`select num_rows from parquet_file_metadata(${sqlString(local)})`));
        const key = `bronze/weather/dt=${dt}/generated-${name}`;
        const info = await env.rt.store.putFile(key, local);
        files.push({ path: key, rowCount: count, bytes: info.bytes, partitionValues: { dt } });
      }
    }
    await env.rt.catalog.commit({
      table: { layer: 'bronze', name: 'weather' },
      baseSnapshotId: null,
      operation: 'append',
      add: files,
    });
    return files.length;
  } finally {
    duck.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface WorkerResult {
  mode: string;
  seconds: number;
  silverRows: number;
  goldRows: number;
  peakRssBytes: number;
  /** The runner's milliseconds per stage, silver and gold summed (see TableRunResult.stages). */
  stages: Record<string, number>;
}

async function runWorker(env: Isolated, mode: 'strata' | 'bare', fullRefresh: boolean): Promise<WorkerResult> {
  const { stdout } = await exec(
    process.execPath,
    [...scriptArgs('bin/bench/bench-jobs-worker.ts'), mode, ...(fullRefresh ? ['--full-refresh'] : [])],
    {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: {
        ...process.env,
        DATABASE_URL: env.config.databaseUrl,
        STRATA_REDIS_PREFIX: env.config.redisPrefix,
        STRATA_LAKE_URL: env.config.lakeUrl,
      },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as WorkerResult;
}

runMain(async () => {
  const rows = Number(values.rows);
  const rounds = Number(values.rounds);
  if (!(rows > 0 && rounds > 0)) throw new Error('--rows and --rounds must be positive numbers');
  await servicesUp(config(), ['redis', 'postgres']);
  const env = await isolatedRuntime('file');
  try {
    const t0 = performance.now();
    const files = await generateBronze(env, rows);
    console.error(
      `generated ${rows} bronze rows in ${files} files (${((performance.now() - t0) / 1000).toFixed(1)} s)`,
    );
    const bare: WorkerResult[] = [];
    const strata: WorkerResult[] = [];
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? (['bare', 'strata'] as const) : (['strata', 'bare'] as const);
      for (const mode of order) {
        const result = await runWorker(env, mode, round > 1);
        (mode === 'bare' ? bare : strata).push(result);
        console.error(
          `round ${round}: ${mode} ${result.seconds.toFixed(1)} s, silver ${result.silverRows} rows, gold ${result.goldRows} rows, peak RSS ${(result.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
        );
      }
    }
    if (strata.some((s) => s.goldRows !== bare[0]!.goldRows))
      throw new Error(`gold row counts differ: runner ${strata.map((s) => s.goldRows)} vs bare ${bare[0]!.goldRows}`);
    const strataSeconds = median(strata.map((s) => s.seconds));
    const bareSeconds = median(bare.map((s) => s.seconds));
    const ratio = Number((strataSeconds / bareSeconds).toFixed(3));
    const peak = Math.max(...strata.map((s) => s.peakRssBytes));
    const peakBare = Math.max(...bare.map((s) => s.peakRssBytes));
    const goalMet = ratio <= 1.25 && peak <= 2 * 2 ** 30;
    const stageNames = Object.keys(strata[0]!.stages);
    const stages = Object.fromEntries(stageNames.map((s) => [s, median(strata.map((r) => r.stages[s] ?? 0)) / 1000]));
    console.log(
      formatTable(
        ['measure', 'seconds (median)', 'peak RSS'],
        [
          ['job runner: silver + gold', strataSeconds.toFixed(2), `${(peak / 2 ** 20).toFixed(0)} MiB`],
          ['DuckDB alone: the same SQL', bareSeconds.toFixed(2), `${(peakBare / 2 ** 20).toFixed(0)} MiB`],
          ['ratio runner / DuckDB', ratio, ''],
        ],
      ),
    );
    console.log(
      `\nWhere the runner's time goes (median seconds, silver + gold):\n${formatTable(
        ['stage', 'seconds'],
        Object.entries(stages).map(([s, v]) => [s, v.toFixed(2)]),
      )}`,
    );
    console.log(
      `${rows} bronze rows, ${rounds} round(s); silver ${strata[0]!.silverRows} rows, gold ${strata[0]!.goldRows} rows; goal ≤ 1.25× and ≤ 2 GiB: ${goalMet ? 'met' : 'not met'}`,
    );
    if (values.json) {
      console.log(
        JSON.stringify({
          bench: 'jobs',
          rows,
          rounds,
          runnerSeconds: strataSeconds,
          duckdbSeconds: bareSeconds,
          ratio,
          runnerPeakRssBytes: peak,
          duckdbPeakRssBytes: peakBare,
          runnerStageSeconds: stages,
          silverRows: strata[0]!.silverRows,
          goldRows: strata[0]!.goldRows,
          goalRatio: 1.25,
          goalPeakBytes: 2 * 2 ** 30,
          goalMet,
        }),
      );
    }
  } finally {
    await env.cleanup();
  }
});
