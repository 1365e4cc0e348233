// The whole lake in one DuckDB session: a view per table over its current snapshot (or the one current at a time),
// and the declared views. What `pnpm sql` and `pnpm lake:catalog` show.
import type { DuckSession } from '../duckdb.ts';
import type { Runtime } from '../runtime.ts';
import { attachTable } from './lake-views.ts';
import { loadAllTables } from './registry.ts';
import { defineView } from './table-runner.ts';

export interface LakeSessionOptions {
  /** Read every table as it was at this time. */
  asOf?: Date;
  root?: string;
}

/** Attaches every table with a snapshot, then the views whose inputs are all there; returns the names defined. */
export async function attachLake(rt: Runtime, duck: DuckSession, options: LakeSessionOptions = {}): Promise<string[]> {
  const names: string[] = [];
  for (const t of (await rt.catalog.listTables()).filter((t) => t.snapshotId !== null)) {
    const snapshot = options.asOf ? await rt.catalog.snapshotAsOf(t, options.asOf) : undefined;
    if (options.asOf && !snapshot) continue; // the table did not exist yet
    await attachTable(rt, duck, t, snapshot);
    names.push(`${t.layer}.${t.name}`);
  }
  for (const view of (await loadAllTables(options.root)).filter((t) => t.writeMode === 'view')) {
    if (!view.from.every((input) => names.includes(input))) continue;
    await defineView(duck, view);
    names.push(`${view.layer}.${view.name}`);
  }
  return names;
}
