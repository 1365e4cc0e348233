// The whole of `pnpm lake:rekey`: every table of the lake (bronze, dead letters, silver, gold, quarantines) rewritten
// where it holds values under an older key, then the gold tables that changed reloaded into PostgreSQL, so that both
// hold only the newest key's ciphertext (docs/security.md, "Rotating a key").
import { keyRingOf } from '../core/keys.ts';
import { TerminalError } from '../core/errors.ts';
import { loadGoldTable } from '../gold/loader/postgres-loader.ts';
import { openJobSession } from '../jobs/job-session.ts';
import { loadTables } from '../jobs/registry.ts';
import { rekeyTable, type RekeyOptions, type RekeyTableResult } from '../lake/rekey.ts';
import type { Runtime } from '../lake/runtime.ts';

export interface RekeyResult {
  /** The key every value is now under. */
  key: string;
  tables: RekeyTableResult[];
  /** Gold tables reloaded into PostgreSQL. */
  reloaded: string[];
}

export async function rekeyLake(rt: Runtime, options: RekeyOptions = {}): Promise<RekeyResult> {
  const ring = keyRingOf(rt.config);
  if (!ring)
    throw new TerminalError(
      'no encryption keys: set STRATA_ENCRYPTION_KEYS=<old id>:<hex>,<new id>:<hex> (the newest last) and run again',
    );
  const result: RekeyResult = { key: ring.newest, tables: [], reloaded: [] };
  // The job session defines strata_rekey with the same keys.
  const duck = await openJobSession(rt.config);
  try {
    for (const table of await rt.catalog.listTables()) {
      if (table.snapshotId === null) continue;
      const rekeyed = await rekeyTable(rt, duck, ring, table, options);
      options.onTable?.(rekeyed);
      result.tables.push(rekeyed);
    }
    if (options.dryRun) return result;
    const changed = new Set(result.tables.filter((t) => t.snapshotId !== undefined).map((t) => t.table));
    for (const definition of await loadTables('gold')) {
      if (!changed.has(`gold.${definition.name}`)) continue;
      const load = await loadGoldTable(rt, duck, definition);
      if (load.status !== 'succeeded') throw new TerminalError(`gold.${definition.name}: reload failed: ${load.error}`);
      result.reloaded.push(definition.name);
    }
  } finally {
    duck.close();
  }
  return result;
}
