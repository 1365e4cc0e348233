// Vacuum: deletes objects no snapshot within the retention needs: files removed by a snapshot older than the
// retention, and orphans (objects the catalog never recorded, e.g. uploads whose commit never happened) older
// than the retention and than an hour. Snapshots that listed a deleted file can no longer be read, and say so.
import { isIcebergMetadata } from './iceberg/iceberg-writer.ts';
import { LAYERS, refOf } from './catalog/catalog.ts';
import type { Runtime } from './runtime.ts';
import type { ObjectInfo } from './storage/object-store.ts';

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

/**
 * An object the catalog does not know is an orphan only once it is this old, whatever the retention: younger, it may
 * be an upload whose commit is still to come (decision 0032).
 */
export const ORPHAN_MIN_AGE_MILLIS = 3_600_000;

/** Before this time an unknown object (or a leftover local file) is old enough to remove. */
export const orphanCutoff = (now: Date, retentionMillis: number): Date =>
  new Date(now.getTime() - Math.max(retentionMillis, ORPHAN_MIN_AGE_MILLIS));

/**
 * Objects of the lake the catalog knows nothing of, older than the retention and ORPHAN_MIN_AGE_MILLIS. `known` is
 * the catalog's paths (read here unless the caller has them).
 */
export async function findOrphans(
  rt: Runtime,
  retentionMillis: number,
  now = new Date(),
  known?: Set<string>,
): Promise<{ orphans: ObjectInfo[]; young: ObjectInfo[]; objects: ObjectInfo[] }> {
  const paths = known ?? (await rt.catalog.knownPaths());
  const objects = (await Promise.all(LAYERS.map((layer) => rt.store.list(`${layer}/`)))).flat();
  const cutoff = orphanCutoff(now, retentionMillis);
  // Iceberg metadata is not in the catalog: its follower removes what no metadata version names any more.
  const unknown = objects.filter((o) => !paths.has(o.key) && !isIcebergMetadata(o.key));
  return {
    orphans: unknown.filter((o) => o.modifiedAt < cutoff),
    young: unknown.filter((o) => o.modifiedAt >= cutoff),
    objects,
  };
}

export async function vacuumLake(rt: Runtime, options: VacuumOptions): Promise<VacuumResult> {
  const now = options.now ?? new Date();
  const expired = await rt.catalog.expiredFiles(new Date(now.getTime() - options.retentionMillis));
  const found = await findOrphans(rt, options.retentionMillis, now);
  const sizes = new Map(found.objects.map((o) => [o.key, o.bytes]));
  const orphans = found.orphans.map((o) => o.key);
  const result: VacuumResult = {
    expiredFiles: expired.length,
    orphanFiles: orphans.length,
    bytesFreed: [...expired.map((f) => f.path), ...orphans].reduce((n, p) => n + (sizes.get(p) ?? 0), 0),
    paths: [...expired.map((f) => f.path), ...orphans],
  };
  if (options.dryRun) return result;
  // Mark first, then delete: a crash in between leaves an object no snapshot will read, which the next vacuum removes.
  if (expired.length) await rt.catalog.markDeleted(expired.map((f) => f.fileId));
  // Iceberg metadata drops the snapshots those files made readable before a file goes: it never names a deleted one.
  for (const table of new Set(expired.map((f) => f.table))) await rt.iceberg.sync(refOf(table));
  for (const p of result.paths) await rt.store.delete(p);
  return result;
}
