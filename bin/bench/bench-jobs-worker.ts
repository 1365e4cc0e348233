// One side of `pnpm bench:jobs`, in its own process so its peak memory is its own: `strata` runs silver + gold through
// the job runner; `bare` runs the same SQL files in DuckDB alone on the same bronze files. Prints one JSON line.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { config } from '../../core/config.ts';
import { sqlString } from '../../core/duckdb.ts';
import { runJob } from '../../jobs/job-runner.ts';
import { openJobSession } from '../../jobs/job-session.ts';
import { loadAllTables } from '../../jobs/registry.ts';
import { withRuntime } from '../../lake/runtime.ts';

const mode = process.argv[2];
const SILVER = 'silver.weather_observations';
const GOLD = 'gold.weather_daily';

await withRuntime(config(), async (rt) => {
  const started = performance.now();
  let silverRows = 0;
  let goldRows = 0;
  const stages: Record<string, number> = {};
  if (mode === 'strata') {
    const results = await runJob(rt, {
      layer: 'silver',
      select: ['weather_observations+'],
      fullRefresh: process.argv.includes('--full-refresh'),
    });
    for (const r of results) if (r.status !== 'succeeded') throw new Error(`${r.target}: ${r.status} ${r.error ?? ''}`);
    silverRows = results.find((r) => r.target === SILVER)!.rowsOut;
    goldRows = results.find((r) => r.target === GOLD)!.rowsOut;
    // Where the runner's time goes, per stage, both tables summed.
    for (const r of results)
      for (const [stage, ms] of Object.entries(r.stages ?? {})) stages[stage] = (stages[stage] ?? 0) + ms;
    stages.other = results.reduce((n, r) => n + r.durationMillis, 0) - Object.values(stages).reduce((a, b) => a + b, 0);
  } else {
    const tables = await loadAllTables();
    const silver = tables.find((t) => `${t.layer}.${t.name}` === SILVER)!;
    const gold = tables.find((t) => `${t.layer}.${t.name}` === GOLD)!;
    const files = (await rt.catalog.currentSnapshot({ layer: 'bronze', name: 'weather' }))!.files;
    const paths = await Promise.all(files.map((f) => rt.store.localPath(f.path)));
    const dir = path.join(rt.config.dataDir, 'tmp', `bench-bare-${process.pid}`);
    await mkdir(dir, { recursive: true });
    const duck = await openJobSession(rt.config);
    try {
      await duck.run(`create schema bronze; create schema silver; create schema gold`);
      await duck.run(`create view bronze.weather as select * from read_parquet([${paths.map(sqlString).join(', ')}])`);
      // The table's SQL and what its declaration asks of it (one row per key, the latest first), nothing else.
      const silverSql = `select * exclude (_raw) from (${silver.sql}) qualify row_number() over (partition by ${silver.primaryKey.join(', ')} order by ${silver.latestBy}) = 1`;
      await duck.run(
        `copy (${silverSql}) to ${sqlString(`${dir}/silver`)} (format parquet, compression zstd, partition_by (${silver.partitionBy}), write_partition_columns true)`,
      );
      await duck.run(
        `create view silver.weather_observations as select * from read_parquet(${sqlString(`${dir}/silver/**/*.parquet`)})`,
      );
      await duck.run(`copy (${gold.sql}) to ${sqlString(`${dir}/gold.parquet`)} (format parquet, compression zstd)`);
      silverRows = Number(await duck.scalar(`select count(*) from silver.weather_observations`));
      goldRows = Number(await duck.scalar(`select count(*) from read_parquet(${sqlString(`${dir}/gold.parquet`)})`));
    } finally {
      duck.close();
      await rm(dir, { recursive: true, force: true });
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (mode === 'strata') stages.setup = Math.round(seconds * 1000 - Object.values(stages).reduce((a, b) => a + b, 0));
  console.log(
    JSON.stringify({
      mode,
      seconds,
      silverRows,
      goldRows,
      stages,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
});
