// Vacuum: deletes objects no snapshot within the retention needs: files removed by a snapshot older than the
// retention, and orphans (objects the catalog never recorded, e.g. uploads whose commit never happened) older
// than the retention. Snapshots that listed a deleted file can no longer be read, and say so.
import { LAYERS } from './catalog/catalog.ts';
import type { Runtime } from './runtime.ts';

export interface VacuumOptions {
  retentionMillis: number;
  dryRun?: boolean;
  now?: Date;
}

export interface VacuumResult {
  expiredFiles: number;
  orphanFiles: number;
  bytesFreed: number;
  paths: string[];
}

export async function vacuumLake(rt: Runtime, options: VacuumOptions): Promise<VacuumResult> {
  const cutoff = new Date((options.now ?? new Date()).getTime() - options.retentionMillis);
  const expired = await rt.catalog.expiredFiles(cutoff);
  const known = await rt.catalog.knownPaths();
  const objects = (await Promise.all(LAYERS.map((layer) => rt.store.list(`${layer}/`)))).flat();
  const sizes = new Map(objects.map((o) => [o.key, o.bytes]));
  const orphans = objects.filter((o) => !known.has(o.key) && o.modifiedAt < cutoff).map((o) => o.key);
  const result: VacuumResult = {
    expiredFiles: expired.length,
    orphanFiles: orphans.length,
    bytesFreed: [...expired.map((f) => f.path), ...orphans].reduce((n, p) => n + (sizes.get(p) ?? 0), 0),
    paths: [...expired.map((f) => f.path), ...orphans],
  };
  if (options.dryRun) return result;
  // Mark first, then delete: a crash in between leaves an object no snapshot will read, which the next vacuum removes.
  if (expired.length) await rt.catalog.markDeleted(expired.map((f) => f.fileId));
  for (const p of result.paths) await rt.store.delete(p);
  return result;
}
