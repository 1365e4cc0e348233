// The whole lake in one DuckDB session: a view per table over its current snapshot (or the one current at a time),
// and the declared views. What `pnpm sql` and `pnpm lake:catalog` show.
import { qualifiedName } from '../lake/catalog/catalog.ts';
import type { DuckSession } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import type { Runtime } from '../lake/runtime.ts';
import { attachTable } from '../lake/lake-views.ts';
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

/**
 * Why a time-travel session may lack tables: throws when nothing existed at `asOf` (naming the first snapshot's time),
 * else returns a note per table first committed after it, for an error that names one of them.
 */
export async function asOfGaps(rt: Runtime, asOf: Date): Promise<{ table: string; note: string }[]> {
  const firsts = await rt.catalog.firstCommits();
  const at = asOf.toISOString();
  if (!firsts.length)
    throw new TerminalError('The lake has no snapshots yet, so --as-of has nothing to show: run `pnpm demo` first.');
  const first = firsts[0]!;
  if (first.committedAt > asOf) {
    throw new TerminalError(
      `Nothing was in the lake at ${at}: its first snapshot (${qualifiedName(first.table)}) was committed at ` +
        `${first.committedAt.toISOString()}. Use --as-of with that time or a later one.`,
    );
  }
  return firsts
    .filter((f) => f.committedAt > asOf)
    .map((f) => ({
      table: qualifiedName(f.table),
      note: `${qualifiedName(f.table)} did not exist yet at ${at}: its first snapshot was committed at ${f.committedAt.toISOString()}`,
    }));
}
