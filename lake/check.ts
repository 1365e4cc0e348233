// `pnpm lake:check`: reconciles the catalog with the storage. Files the catalog records but the storage lacks (a file
// deleted by hand) are reported: only a restore can bring them back. Orphans (objects the catalog never recorded, past
// the vacuum's minimum age), temporary files of writes that never finished, and cached copies of objects no longer
// known are safe to remove, and are removed with `repair`.
import { findOrphans, orphanCutoff } from './vacuum.ts';
import type { Runtime } from './runtime.ts';

export interface CheckOptions {
  repair: boolean;
  /** Orphans and leftovers must be older than this (at least the vacuum's hour). */
  retentionMillis: number;
  now?: Date;
}

export interface CheckResult {
  /** Recorded files missing from storage, with their table; `live` ones break reads of the current snapshot. */
  missing: { path: string; table: string; live: boolean }[];
  orphans: string[];
  /** Unknown objects too young to call orphans (perhaps an upload about to be committed). */
  inFlight: number;
  temporary: string[];
  staleCache: string[];
  repaired: boolean;
}

export async function checkLake(rt: Runtime, options: CheckOptions): Promise<CheckResult> {
  const now = options.now ?? new Date();
  // One read of the catalog serves both directions: recorded but absent, and present but unrecorded.
  const recorded = await rt.catalog.recordedFiles();
  const known = new Set(recorded.map((f) => f.path));
  const found = await findOrphans(rt, options.retentionMillis, now, known);
  const present = new Set(found.objects.map((o) => o.key));
  const missing = recorded.filter((f) => !present.has(f.path));
  const swept = await rt.store.sweep({
    before: orphanCutoff(now, options.retentionMillis),
    known,
    dryRun: !options.repair,
  });
  const orphans = found.orphans.map((o) => o.key);
  if (options.repair) for (const key of orphans) await rt.store.delete(key);
  return { missing, orphans, inFlight: found.young.length, ...swept, repaired: options.repair };
}
