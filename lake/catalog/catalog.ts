// The lake catalog in PostgreSQL: which files make up each table's snapshots, committed with an optimistic check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TerminalError } from '../../core/errors.ts';
import { sourceDir } from '../../core/modules.ts';
import { inTransaction, type Pool, type PoolClient } from '../../core/postgres.ts';
import { commitSnapshot, tableRowOf } from './commit.ts';
import type { DateRange } from './date-ranges.ts';
import {
  type CommitRequest,
  type DataFile,
  type Layer,
  type LiveFile,
  qualifiedName,
  type Snapshot,
  type TableRef,
} from './types.ts';

export * from './types.ts';

const SCHEMA_SQL = readFileSync(path.join(sourceDir(import.meta.url), 'schema.sql'), 'utf8');
/** Bump when schema.sql changes; every statement in it must be idempotent (if not exists). */
export const CATALOG_SCHEMA_VERSION = 5;

export class Catalog {
  constructor(readonly pool: Pool) {}

  /** Creates or upgrades the catalog schema when its version is behind; safe to call from several processes at once. */
  async migrate(): Promise<void> {
    if ((await this.schemaVersion(this.pool)) >= CATALOG_SCHEMA_VERSION) return;
    await inTransaction(this.pool, async (client) => {
      await client.query("select pg_advisory_xact_lock(hashtext('strata_catalog.migrate'))");
      if ((await this.schemaVersion(client)) >= CATALOG_SCHEMA_VERSION) return;
      await client.query(SCHEMA_SQL);
      await client.query(
        "insert into strata_catalog.meta (key, value) values ('schema_version', $1) on conflict (key) do update set value = excluded.value",
        [String(CATALOG_SCHEMA_VERSION)],
      );
    });
  }

  private async schemaVersion(client: Pool | PoolClient): Promise<number> {
    const exists = await client.query<{ present: boolean }>(
      "select to_regclass('strata_catalog.meta') is not null as present",
    );
    if (!exists.rows[0]?.present) return 0;
    const { rows } = await client.query<{ value: string }>(
      "select value from strata_catalog.meta where key = 'schema_version'",
    );
    return Number(rows[0]?.value ?? 0);
  }

  private tableRow(client: PoolClient | Pool, t: TableRef, forUpdate = false) {
    return tableRowOf(client, t, forUpdate);
  }

  /** The current snapshot of a table with its live files, or undefined if nothing was ever committed. */
  async currentSnapshot(t: TableRef): Promise<Snapshot | undefined> {
    const row = await this.tableRow(this.pool, t);
    if (!row || row.current_snapshot_id === null) return undefined;
    return this.snapshotAt(t, row.current_snapshot_id);
  }

  /** A table as of a given snapshot (time travel while its files are retained); refuses one whose files were vacuumed. */
  async snapshotAt(t: TableRef, snapshotId: number): Promise<Snapshot> {
    const { rows } = await this.pool.query(
      `select f.* from strata_catalog.files f join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and f.added_snapshot_id <= $3 and (f.removed_snapshot_id is null or f.removed_snapshot_id > $3)
        order by f.file_id`,
      [t.layer, t.name, snapshotId],
    );
    const vacuumed = rows.filter((r) => r.deleted_at !== null);
    if (vacuumed.length) {
      throw new TerminalError(
        `${qualifiedName(t)} snapshot ${snapshotId} is past retention: ${vacuumed.length} of its files were removed by lake:vacuum; read a newer snapshot`,
        { context: { table: qualifiedName(t) } },
      );
    }
    return { snapshotId, table: t, files: rows.map(toLiveFile) };
  }

  /** The snapshot that was current at `time` (the last one committed at or before it), or undefined if none was. */
  async snapshotAsOf(t: TableRef, time: Date): Promise<Snapshot | undefined> {
    const { rows } = await this.pool.query<{ snapshot_id: number }>(
      `select s.snapshot_id from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and s.committed_at <= $3 order by s.snapshot_id desc limit 1`,
      [t.layer, t.name, time],
    );
    return rows[0] ? this.snapshotAt(t, rows[0].snapshot_id) : undefined;
  }

  /** Commits a new snapshot atomically; throws CommitConflictError when the table moved past baseSnapshotId. */
  async commit(request: CommitRequest): Promise<number> {
    const snapshotId = await commitSnapshot(this.pool, request);
    for (const listener of this.committed) listener(request.table, snapshotId);
    return snapshotId;
  }

  private readonly committed: ((table: TableRef, snapshotId: number) => void)[] = [];

  /** Told after each commit of this process (the Iceberg follower catches up from it); never awaited by the commit. */
  onCommitted(listener: (table: TableRef, snapshotId: number) => void): void {
    this.committed.push(listener);
  }

  /** When a snapshot was committed, by which operation, after which parent. */
  async snapshotInfo(
    snapshotId: number,
  ): Promise<{ committedAt: Date; operation: string; parentSnapshotId: number | null } | undefined> {
    const { rows } = await this.pool.query<{
      committed_at: Date;
      operation: string;
      parent_snapshot_id: string | null;
    }>('select committed_at, operation, parent_snapshot_id from strata_catalog.snapshots where snapshot_id = $1', [
      snapshotId,
    ]);
    const row = rows[0];
    return (
      row && {
        committedAt: row.committed_at,
        operation: row.operation,
        parentSnapshotId: row.parent_snapshot_id === null ? null : Number(row.parent_snapshot_id),
      }
    );
  }

  /** Of these snapshots of a table, those still readable (no file of theirs removed by lake:vacuum). */
  async readableSnapshots(t: TableRef, snapshotIds: readonly number[]): Promise<Set<number>> {
    if (snapshotIds.length === 0) return new Set();
    const { rows } = await this.pool.query<{ id: string }>(
      `select s.id from unnest($3::bigint[]) as s(id)
        where not exists (
          select 1 from strata_catalog.files f join strata_catalog.tables t using (table_id)
           where t.layer = $1 and t.name = $2 and f.deleted_at is not null
             and f.added_snapshot_id <= s.id and (f.removed_snapshot_id is null or f.removed_snapshot_id > s.id))`,
      [t.layer, t.name, snapshotIds],
    );
    return new Set(rows.map((r) => Number(r.id)));
  }

  /** Operations of a table's snapshots in (after, upTo]. */
  async operationsBetween(t: TableRef, after: number, upTo: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ operation: string }>(
      `select s.operation from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and s.snapshot_id > $3 and s.snapshot_id <= $4`,
      [t.layer, t.name, after, upTo],
    );
    return rows.map((r) => r.operation);
  }

  /** What a snapshot's commit recorded about itself (a window table keeps its watermark there). */
  async snapshotSummary(snapshotId: number): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<{ summary: Record<string, unknown> }>(
      'select summary from strata_catalog.snapshots where snapshot_id = $1',
      [snapshotId],
    );
    return rows[0]?.summary ?? {};
  }

  /** The table's fence epoch (0 for a table nothing has committed to yet). */
  async fenceEpoch(t: TableRef): Promise<number> {
    return (await this.tableRow(this.pool, t))?.fence_epoch ?? 0;
  }

  /**
   * Moves the fence: every commit made with an older epoch is refused from now on. Taken under the same row lock as
   * commits, so a commit either landed before (and is visible to the caller afterwards) or will be refused.
   */
  async bumpFence(t: TableRef): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        'insert into strata_catalog.tables (layer, name) values ($1, $2) on conflict (layer, name) do nothing',
        [t.layer, t.name],
      );
      const { rows } = await client.query<{ fence_epoch: number }>(
        'update strata_catalog.tables set fence_epoch = fence_epoch + 1 where layer = $1 and name = $2 returning fence_epoch',
        [t.layer, t.name],
      );
      return rows[0]!.fence_epoch;
    });
  }

  /** Row count of a table's current snapshot, from the catalog alone. */
  async rowCount(t: TableRef): Promise<number> {
    const snapshot = await this.currentSnapshot(t);
    return snapshot ? snapshot.files.reduce((sum, f) => sum + f.rowCount, 0) : 0;
  }

  /** Files removed by a snapshot committed before `cutoff` whose objects still exist: what vacuum may delete. */
  async expiredFiles(cutoff: Date): Promise<{ fileId: number; path: string; table: string }[]> {
    const { rows } = await this.pool.query<{ file_id: number; path: string; layer: string; name: string }>(
      `select f.file_id, f.path, t.layer, t.name from strata_catalog.files f
         join strata_catalog.tables t using (table_id) join strata_catalog.snapshots s on s.snapshot_id = f.removed_snapshot_id
        where f.deleted_at is null and s.committed_at < $1 order by f.file_id`,
      [cutoff],
    );
    return rows.map((r) => ({ fileId: r.file_id, path: r.path, table: `${r.layer}.${r.name}` }));
  }

  async markDeleted(fileIds: number[]): Promise<void> {
    await this.pool.query('update strata_catalog.files set deleted_at = now() where file_id = any($1)', [fileIds]);
  }

  /** Paths of files some snapshot may still read (live, or removed but not yet vacuumed): any other object is an orphan. */
  async knownPaths(): Promise<Set<string>> {
    const { rows } = await this.pool.query<{ path: string }>(
      'select path from strata_catalog.files where deleted_at is null',
    );
    return new Set(rows.map((r) => r.path));
  }

  /** Files the catalog says are in storage (not vacuumed): their table, and whether the current snapshot reads them. */
  async recordedFiles(): Promise<{ path: string; table: string; live: boolean }[]> {
    const { rows } = await this.pool.query<{ path: string; table: string; live: boolean }>(
      `select f.path, t.layer || '.' || t.name as table, f.removed_snapshot_id is null as live
         from strata_catalog.files f join strata_catalog.tables t using (table_id)
        where f.deleted_at is null order by f.path`,
    );
    return rows;
  }

  /** Ids of the input files a table has processed (see CommitRequest.consumed). */
  async consumedFiles(t: TableRef): Promise<Set<number>> {
    const { rows } = await this.pool.query<{ file_id: string }>(
      `select c.file_id from strata_catalog.consumed c join strata_catalog.tables t using (table_id) where t.layer = $1 and t.name = $2`,
      [t.layer, t.name],
    );
    return new Set(rows.map((r) => Number(r.file_id)));
  }

  /**
   * True when snapshot `to` holds the same rows as snapshot `from` of the same table: every snapshot after `from`, up
   * to `to`, is a compaction (which rewrites files, never rows). A loader that served `from` then need not reload.
   */
  async sameRows(t: TableRef, from: number, to: number): Promise<boolean> {
    if (from === to) return true;
    if (from > to) return false;
    const { rows } = await this.pool.query<{ changed: number }>(
      `select count(*)::int as changed from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and s.snapshot_id > $3 and s.snapshot_id <= $4 and s.operation <> 'compact'`,
      [t.layer, t.name, from, to],
    );
    return rows[0]!.changed === 0;
  }

  /** When each table's first snapshot was committed, oldest first: what time travel can reach back to. */
  async firstCommits(): Promise<{ table: TableRef; committedAt: Date }[]> {
    const { rows } = await this.pool.query<{ layer: Layer; name: string; first: Date }>(
      `select t.layer, t.name, min(s.committed_at) as first from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
        group by t.layer, t.name order by first, t.layer, t.name`,
    );
    return rows.map((r) => ({ table: { layer: r.layer, name: r.name }, committedAt: r.first }));
  }

  async listTables(): Promise<(TableRef & { snapshotId: number | null })[]> {
    const { rows } = await this.pool.query<{ layer: Layer; name: string; current_snapshot_id: number | null }>(
      'select layer, name, current_snapshot_id from strata_catalog.tables order by layer, name',
    );
    return rows.map((r) => ({ layer: r.layer, name: r.name, snapshotId: r.current_snapshot_id }));
  }
}

function toLiveFile(r: Record<string, unknown>): LiveFile {
  return {
    fileId: r.file_id as number,
    path: r.path as string,
    rowCount: r.row_count as number,
    bytes: r.bytes as number,
    partitionValues: r.partition_values as Record<string, string>,
    columnStats: r.column_stats as DataFile['columnStats'],
    streamFirstId: (r.stream_first_id as string | null) ?? undefined,
    streamLastId: (r.stream_last_id as string | null) ?? undefined,
    addedSnapshotId: r.added_snapshot_id as number,
    ...(r.observed_dates ? { observedDates: r.observed_dates as DateRange[] } : {}),
  };
}
