// What `pnpm demo` prints of one source's run through every stage: a paragraph per stage as it happens, then what each
// stage holds, read back from Redis, the catalog and PostgreSQL.
import { formatTable } from '../core/cli.ts';
import type { Config } from '../core/config.ts';
import type { Runtime } from '../lake/runtime.ts';
import { deadLetterKey, streamKey } from '../streams/keys.ts';
import { deadLetterReasons, type PipelineHooks, type SourcePipeline, stageTotals } from './run-source.ts';
import { jobSummary } from './summary.ts';

export const indent = (text: string) =>
  text
    .split('\n')
    .map((l) => `   ${l}`)
    .join('\n');

/** Hooks printing each stage as it finishes. */
export function stageReporter(cfg: Config, { source }: SourcePipeline, origin: string): PipelineHooks {
  return {
    onCollected(r) {
      console.log(`\n2. Collect   ${origin} → Redis stream ${streamKey(cfg.redisPrefix, source.name)}`);
      console.log(
        `   ${r.rowsIn} records: ${r.rowsOut} new, ${r.duplicates} duplicates dropped, ${r.rowsRejected} dead-lettered (${r.deadLetterDuplicates} already dead-lettered earlier)`,
      );
      if (r.error) console.log(`   error: ${r.error}`);
    },
    onBronze(r) {
      console.log(
        `\n3. Bronze    ${r.rowsOut} events and ${r.deadLettersWritten} dead letters → ${r.filesWritten} Parquet files in ${cfg.lakeUrl}/bronze/ (committed entries leave Redis)`,
      );
      if (r.error) console.log(`   error: ${r.error}`);
    },
    onLayer(layer, results) {
      console.log(`\n${layer === 'silver' ? '4. Silver' : '5. Gold'}\n${indent(jobSummary(results))}`);
    },
  };
}

/** Prints what each stage holds now, and the dead letters' reasons. */
export async function printStageTotals(rt: Runtime, pipeline: SourcePipeline): Promise<void> {
  const { source, silver, gold } = pipeline;
  const prefix = rt.config.redisPrefix;
  const totals = await stageTotals(rt, pipeline);
  const reasons = await deadLetterReasons(rt, source.name);
  console.log('\n6. What each stage holds now (a second `pnpm demo` leaves these unchanged)');
  const rows: [string, number][] = [
    [`stream ${streamKey(prefix, source.name)} (not yet in the lake)`, totals.stream],
    [`dead letters ${deadLetterKey(prefix, source.name)} (not yet in the lake)`, totals.deadLetterStream],
    [`bronze.${source.name} (lake)`, totals.bronze],
    [`bronze.${source.name}__dead_letters (lake)`, totals.deadLetters],
    [`silver.${silver} (lake)`, totals.silver],
    [`silver.${silver}__quarantine (lake)`, totals.quarantine],
    [`gold.${gold} (lake)`, totals.goldLake],
    [`gold.${gold} (PostgreSQL)`, totals.goldPostgres],
  ];
  console.log(indent(formatTable(['stage', 'rows'], rows)));
  const listed = Object.entries(reasons).map(([r, n]) => `${r} (${n})`);
  console.log(`   dead-letter reasons: ${listed.join('; ') || 'none'}`);
}
