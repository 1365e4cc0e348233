// The lake catalog in PostgreSQL: which files make up each table's snapshots, committed with an optimistic check.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CommitConflictError, TerminalError } from '../errors.ts';
import { inTransaction, type Pool, type PoolClient } from '../postgres.ts';

export const LAYERS = ['bronze', 'silver', 'gold'] as const;
export type Layer = (typeof LAYERS)[number];

/** A table's full name, e.g. `silver.weather_observations`. */
export interface TableRef {
  layer: Layer;
  name: string;
}

export const refOf = (qualified: string): TableRef => {
  const [layer, name] = qualified.split('.');
  if (!name || !LAYERS.includes(layer as Layer)) throw new TerminalError(`"${qualified}" is not <layer>.<table> with layer one of ${LAYERS.join(', ')}`);
  return { layer: layer as Layer, name };
};
export const qualifiedName = (t: TableRef) => `${t.layer}.${t.name}`;

export interface DataFile {
  path: string;
  rowCount: number;
  bytes: number;
  partitionValues?: Record<string, string>;
  columnStats?: Record<string, { min: unknown; max: unknown; nulls?: number }>;
  streamFirstId?: string;
  streamLastId?: string;
}

export interface LiveFile extends DataFile {
  fileId: number;
  addedSnapshotId: number;
}

export interface Snapshot {
  snapshotId: number;
  table: TableRef;
  files: LiveFile[];
}

export interface CommitRequest {
  table: TableRef;
  /**
   * The snapshot the writer read. What conflicts depends on what the commit removes: a pure append never conflicts;
   * removing 'all' (replace) needs the table unchanged since this snapshot; removing listed files (compaction) needs
   * each of them still live. A conflict throws CommitConflictError and changes nothing.
   */
  baseSnapshotId: number | null;
  operation: 'append' | 'replace' | 'compact';
  add: DataFile[];
  /** Files to remove in the same snapshot: 'all' (replace) or ids of live files. */
  remove?: 'all' | number[];
  runId?: string;
  summary?: Record<string, unknown>;
}

const SCHEMA_SQL = readFileSync(path.join(import.meta.dirname, 'schema.sql'), 'utf8');

export class Catalog {
  constructor(readonly pool: Pool) {}

  /** Creates the catalog schema if needed; safe to call from several processes at once. */
  async migrate(): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      await client.query("select pg_advisory_xact_lock(hashtext('strata_catalog.migrate'))");
      await client.query(SCHEMA_SQL);
    });
  }

  private async tableRow(client: PoolClient | Pool, t: TableRef, forUpdate = false) {
    const { rows } = await client.query<{ table_id: number; current_snapshot_id: number | null }>(
      `select table_id, current_snapshot_id from strata_catalog.tables where layer = $1 and name = $2${forUpdate ? ' for update' : ''}`,
      [t.layer, t.name],
    );
    return rows[0];
  }

  /** The current snapshot of a table with its live files, or undefined if nothing was ever committed. */
  async currentSnapshot(t: TableRef): Promise<Snapshot | undefined> {
    const row = await this.tableRow(this.pool, t);
    if (!row || row.current_snapshot_id === null) return undefined;
    return this.snapshotAt(t, row.current_snapshot_id);
  }

  /** A table as of a given snapshot (time travel while its files are retained). */
  async snapshotAt(t: TableRef, snapshotId: number): Promise<Snapshot> {
    const { rows } = await this.pool.query(
      `select f.* from strata_catalog.files f join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and f.added_snapshot_id <= $3 and (f.removed_snapshot_id is null or f.removed_snapshot_id > $3)
        order by f.file_id`,
      [t.layer, t.name, snapshotId],
    );
    return { snapshotId, table: t, files: rows.map(toLiveFile) };
  }

  /** Every file ever committed to a table that holds stream entries (including files later compacted away). */
  async committedStreamRanges(t: TableRef): Promise<{ first: string; last: string }[]> {
    const { rows } = await this.pool.query<{ first: string; last: string }>(
      `select stream_first_id as first, stream_last_id as last from strata_catalog.files f join strata_catalog.tables t using (table_id)
        where t.layer = $1 and t.name = $2 and stream_first_id is not null`,
      [t.layer, t.name],
    );
    return rows;
  }

  /** Commits a new snapshot atomically; throws CommitConflictError when the table moved past baseSnapshotId. */
  async commit(request: CommitRequest): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      const { table } = request;
      await client.query(
        'insert into strata_catalog.tables (layer, name) values ($1, $2) on conflict (layer, name) do nothing',
        [table.layer, table.name],
      );
      const row = (await this.tableRow(client, table, true))!;
      if (request.remove === 'all' && row.current_snapshot_id !== request.baseSnapshotId) {
        throw new CommitConflictError(
          `${qualifiedName(table)} moved from snapshot ${request.baseSnapshotId} to ${row.current_snapshot_id} while this writer worked; re-read and retry`,
          { context: { table: qualifiedName(table), runId: request.runId } },
        );
      }
      if (Array.isArray(request.remove) && request.remove.length) {
        const { rows: live } = await client.query<{ n: number }>(
          'select count(*)::int as n from strata_catalog.files where table_id = $1 and removed_snapshot_id is null and file_id = any($2)',
          [row.table_id, request.remove],
        );
        if (live[0]!.n !== new Set(request.remove).size) {
          throw new CommitConflictError(`${qualifiedName(table)}: files this commit replaces were removed by another commit; re-read and retry`, {
            context: { table: qualifiedName(table), runId: request.runId },
          });
        }
      }
      const { rows } = await client.query<{ snapshot_id: number }>(
        `insert into strata_catalog.snapshots (table_id, parent_snapshot_id, operation, run_id, summary)
         values ($1, $2, $3, $4, $5) returning snapshot_id`,
        [row.table_id, row.current_snapshot_id, request.operation, request.runId ?? null, JSON.stringify(request.summary ?? {})],
      );
      const snapshotId = rows[0]!.snapshot_id;
      if (request.remove === 'all') {
        await client.query('update strata_catalog.files set removed_snapshot_id = $1 where table_id = $2 and removed_snapshot_id is null', [
          snapshotId,
          row.table_id,
        ]);
      } else if (request.remove?.length) {
        await client.query(
          'update strata_catalog.files set removed_snapshot_id = $1 where table_id = $2 and removed_snapshot_id is null and file_id = any($3)',
          [snapshotId, row.table_id, request.remove],
        );
      }
      for (const f of request.add) {
        await client.query(
          `insert into strata_catalog.files (table_id, path, row_count, bytes, partition_values, column_stats, stream_first_id, stream_last_id, added_snapshot_id)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            row.table_id, f.path, f.rowCount, f.bytes, JSON.stringify(f.partitionValues ?? {}), JSON.stringify(f.columnStats ?? {}),
            f.streamFirstId ?? null, f.streamLastId ?? null, snapshotId,
          ],
        );
      }
      await client.query('update strata_catalog.tables set current_snapshot_id = $1 where table_id = $2', [snapshotId, row.table_id]);
      return snapshotId;
    });
  }

  /** Row count of a table's current snapshot, from the catalog alone. */
  async rowCount(t: TableRef): Promise<number> {
    const snapshot = await this.currentSnapshot(t);
    return snapshot ? snapshot.files.reduce((sum, f) => sum + f.rowCount, 0) : 0;
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
  };
}
