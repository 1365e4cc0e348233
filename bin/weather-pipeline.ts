// The demo's pipeline, shared by `pnpm demo` and the end-to-end test: collect → bronze → silver → gold → PostgreSQL,
// and the per-stage totals both of them report.
import { drainSource, type BronzeResult } from '../bronze/bronze-writer.ts';
import { runJob } from '../core/jobs/job-runner.ts';
import type { TableRunResult } from '../core/jobs/table-spec.ts';
import { deadLetterTable } from '../core/bronze-schema.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable, viewName } from '../core/jobs/lake-views.ts';
import { quarantineRef } from '../core/jobs/quarantine.ts';
import type { Runtime } from '../core/runtime.ts';
import { deadLetterKey, streamKey } from '../core/streams/keys.ts';
import type { LoadResult } from '../gold/loader/postgres-loader.ts';
import { GOLD_SCHEMA } from '../gold/loader/postgres-loader.ts';
import { runGoldJob } from '../gold/gold-job.ts';
import { runIngest, type IngestResult } from '../ingest/ingest-runner.ts';
import { weatherSource } from '../ingest/sources/weather/source.ts';

export interface PipelineRun {
  ingest: IngestResult;
  bronze: BronzeResult;
  silver: TableRunResult[];
  gold: TableRunResult[];
  loads: LoadResult[];
}

export interface PipelineHooks {
  onCollected?: (result: IngestResult) => void;
  onBronze?: (result: BronzeResult) => void;
  onLayer?: (layer: 'silver' | 'gold', results: TableRunResult[]) => void;
}

/** The weather pipeline's tables: the demo runs these, not every example's. */
const WEATHER_TABLES = { silver: ['silver.weather_observations'], gold: ['gold.weather_daily'] };

/** Runs every stage for the weather source; each stage returns a result, none throws on bad data. */
export async function runWeatherPipeline(
  rt: Runtime,
  fixtureUrl: string,
  hooks: PipelineHooks = {},
): Promise<PipelineRun> {
  const ingest = await runIngest(rt, weatherSource, { context: { baseUrl: fixtureUrl } });
  hooks.onCollected?.(ingest);
  const bronze = await drainSource(rt, weatherSource.name);
  hooks.onBronze?.(bronze);
  const silver = await runJob(rt, { layer: 'silver', select: WEATHER_TABLES.silver, wait: true });
  hooks.onLayer?.('silver', silver);
  const { tables: gold, loads } = await runGoldJob(rt, { select: WEATHER_TABLES.gold, wait: true });
  hooks.onLayer?.('gold', gold);
  return { ingest, bronze, silver, gold, loads };
}

export interface StageTotals {
  /** Entries of the weather stream not yet in the lake (0 once bronze has drained it: committed entries are trimmed). */
  stream: number;
  /** Dead letters not yet in the lake. */
  deadLetterStream: number;
  bronze: number;
  /** Dead letters in the lake (bronze.weather__dead_letters). */
  deadLetters: number;
  silver: number;
  quarantine: number;
  goldLake: number;
  goldPostgres: number;
}

/** What each stage holds now, read from Redis, the catalog and PostgreSQL (not from the run's own counters). */
export async function stageTotals(rt: Runtime): Promise<StageTotals> {
  const redis = rt.redis();
  const prefix = rt.config.redisPrefix;
  const silverRef = { layer: 'silver', name: 'weather_observations' } as const;
  const pg = await rt.pool
    .query<{ n: number }>(`select count(*)::bigint as n from ${GOLD_SCHEMA}.weather_daily`)
    .catch(() => ({ rows: [{ n: 0 }] }));
  return {
    stream: await redis.xlen(streamKey(prefix, 'weather')),
    deadLetterStream: await redis.xlen(deadLetterKey(prefix, 'weather')),
    bronze: await rt.catalog.rowCount({ layer: 'bronze', name: 'weather' }),
    deadLetters: await rt.catalog.rowCount({ layer: 'bronze', name: deadLetterTable('weather') }),
    silver: await rt.catalog.rowCount(silverRef),
    quarantine: await rt.catalog.rowCount(quarantineRef(silverRef)),
    goldLake: await rt.catalog.rowCount({ layer: 'gold', name: 'weather_daily' }),
    goldPostgres: pg.rows[0]!.n,
  };
}

/** Dead letters in the lake grouped by reason, for the demo's report. */
export async function deadLetterReasons(rt: Runtime, source: string): Promise<Record<string, number>> {
  const table = { layer: 'bronze', name: deadLetterTable(source) } as const;
  if (!(await rt.catalog.currentSnapshot(table))) return {};
  const rows = await withDuck(async (duck) => {
    await attachTable(rt, duck, table);
    return duck.all(`select reason from ${viewName(table)}`);
  });
  const reasons: Record<string, number> = {};
  for (const { reason } of rows) {
    const general = String(reason).replace(/"[^"]*"/g, '"…"');
    reasons[general] = (reasons[general] ?? 0) + 1;
  }
  return reasons;
}
