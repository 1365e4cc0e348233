// After a job run, each gold table PostgreSQL does not serve at its current lake snapshot is loaded (contract 7).
import type { TableRef } from '../lake/catalog/catalog.ts';
import { openJobSession } from '../jobs/job-session.ts';
import { loadAllTables, keyOf } from '../jobs/registry.ts';
import type { OnCommitted } from '../jobs/micro-batch.ts';
import type { TableRunResult } from '../jobs/table-spec.ts';
import type { Runtime } from '../lake/runtime.ts';
import { applyGoldChange, loadGoldTable, servedSnapshot, type LoadResult } from './loader/postgres-loader.ts';

/** Loads the gold tables among `results` that succeeded, or are up to date in the lake but stale in PostgreSQL. */
export async function loadGold(
  rt: Runtime,
  results: TableRunResult[],
  onLoaded?: (r: LoadResult) => void,
): Promise<LoadResult[]> {
  const definitions = new Map((await loadAllTables()).map((t) => [keyOf(t), t]));
  const loads: LoadResult[] = [];
  const candidates = results.filter(
    (r) => r.target.startsWith('gold.') && !r.ownedByStream && (r.status === 'succeeded' || r.status === 'up to date'),
  );
  if (candidates.length === 0) return loads;
  const duck = await openJobSession(rt.config);
  try {
    for (const result of candidates) {
      const definition = definitions.get(result.target)!;
      if (result.status === 'up to date' && (await servesCurrentRows(rt, definition))) continue;
      const load = await loadGoldTable(rt, duck, definition);
      onLoaded?.(load);
      loads.push(load);
    }
  } finally {
    duck.close();
  }
  return loads;
}

/** True when PostgreSQL serves the rows of the table's current lake snapshot (compactions since change no row). */
export async function servesCurrentRows(rt: Runtime, table: TableRef): Promise<boolean> {
  const current = await rt.catalog.currentSnapshot(table);
  const served = await servedSnapshot(rt, table.name);
  return (
    current !== undefined && served !== undefined && (await rt.catalog.sameRows(table, served, current.snapshotId))
  );
}

/**
 * What `pnpm stream` does after each committed micro-batch: a gold table's changed rows go to PostgreSQL at once
 * (upserted, or the table reloaded when PostgreSQL was behind); a failed load fails the round.
 */
export function streamingGoldLoader(
  rt: Runtime,
  onLoaded?: (load: LoadResult & { mode: 'upsert' | 'full' }) => void,
): OnCommitted {
  return async (table, result, duck) => {
    if (table.layer !== 'gold') return;
    const load = await applyGoldChange(rt, duck, table, {
      baseSnapshotId: result.baseSnapshotId ?? null,
      snapshotId: result.snapshotId!,
      rows: result.changedRows ?? [],
    });
    onLoaded?.(load);
    if (load.status !== 'succeeded')
      throw new Error(`loading gold.${table.name} into PostgreSQL failed: ${load.error}`);
  };
}
