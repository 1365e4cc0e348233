// One source through every stage: collect → bronze → its silver table → its gold table → PostgreSQL, and what each
// stage holds afterwards. `pnpm demo` runs the weather example this way; the end-to-end test checks the figures.
import type { BronzeResult } from '../bronze/bronze-result.ts';
import { drainSource } from '../bronze/bronze-writer.ts';
import type { TableRunResult } from '../jobs/table-spec.ts';
import { deadLetterTable } from '../lake/bronze-schema.ts';
import { sqlIdent, withDuck } from '../core/duckdb.ts';
import { attachTable, viewName } from '../lake/lake-views.ts';
import { quarantineRef } from '../jobs/quarantine.ts';
import type { Runtime } from '../lake/runtime.ts';
import { deadLetterKey, streamKey } from '../streams/keys.ts';
import type { LoadResult } from '../gold/loader/postgres-loader.ts';
import { GOLD_SCHEMA } from '../gold/served.ts';
import { runBatch } from './run-batch.ts';
import { runIngest, type IngestResult } from '../ingest/ingest-runner.ts';
import type { SourceDefinition } from '../ingest/source.ts';

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

/** A source with the silver table that cleans it and the gold table built from that. */
export interface SourcePipeline {
  source: SourceDefinition;
  silver: string;
  gold: string;
}

/** Runs every stage for one source and its two tables; each stage returns a result, none throws on bad data. */
export async function runSourcePipeline(
  rt: Runtime,
  { source, silver: silverName, gold: goldName }: SourcePipeline,
  baseUrl: string,
  hooks: PipelineHooks = {},
): Promise<PipelineRun> {
  const ingest = await runIngest(rt, source, { context: { baseUrl } });
  hooks.onCollected?.(ingest);
  const bronze = await drainSource(rt, source.name);
  hooks.onBronze?.(bronze);
  const { tables: silver } = await runBatch(rt, { layers: ['silver'], select: [`silver.${silverName}`], wait: true });
  hooks.onLayer?.('silver', silver);
  const { tables: gold, loads } = await runBatch(rt, { layers: ['gold'], select: [`gold.${goldName}`], wait: true });
  hooks.onLayer?.('gold', gold);
  return { ingest, bronze, silver, gold, loads };
}

export interface StageTotals {
  /** Entries of the source's stream not yet in the lake (0 once bronze has drained it: committed entries are trimmed). */
  stream: number;
  /** Dead letters not yet in the lake. */
  deadLetterStream: number;
  bronze: number;
  /** Dead letters in the lake (bronze.<source>__dead_letters). */
  deadLetters: number;
  silver: number;
  quarantine: number;
  goldLake: number;
  goldPostgres: number;
}

/** What each stage holds now, read from Redis, the catalog and PostgreSQL (not from the run's own counters). */
export async function stageTotals(rt: Runtime, { source, silver, gold }: SourcePipeline): Promise<StageTotals> {
  const redis = rt.redis();
  const prefix = rt.config.redisPrefix;
  const silverRef = { layer: 'silver', name: silver } as const;
  const pg = await rt.pool
    .query<{ n: number }>(`select count(*)::bigint as n from ${GOLD_SCHEMA}.${sqlIdent(gold)}`)
    .catch(() => ({ rows: [{ n: 0 }] }));
  return {
    stream: await redis.xlen(streamKey(prefix, source.name)),
    deadLetterStream: await redis.xlen(deadLetterKey(prefix, source.name)),
    bronze: await rt.catalog.rowCount({ layer: 'bronze', name: source.name }),
    deadLetters: await rt.catalog.rowCount({ layer: 'bronze', name: deadLetterTable(source.name) }),
    silver: await rt.catalog.rowCount(silverRef),
    quarantine: await rt.catalog.rowCount(quarantineRef(silverRef)),
    goldLake: await rt.catalog.rowCount({ layer: 'gold', name: gold }),
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
