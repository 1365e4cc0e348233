// A commit to the lake catalog: one transaction that locks the table's row, checks what the commit removes against the
// snapshot it was based on (a pure append never conflicts), records the new snapshot with its files and the input
// files it consumed, and moves the table's current snapshot.
import { CommitConflictError, FencedError } from '../../core/errors.ts';
import { inTransaction, type Pool, type PoolClient } from '../../core/postgres.ts';
import { type CommitRequest, qualifiedName, type TableRef } from './types.ts';

/** The table's catalog row (locked for update inside a commit). */
export async function tableRowOf(client: PoolClient | Pool, t: TableRef, forUpdate = false) {
  const { rows } = await client.query<{ table_id: number; current_snapshot_id: number | null; fence_epoch: number }>(
    `select table_id, current_snapshot_id, fence_epoch from strata_catalog.tables where layer = $1 and name = $2${forUpdate ? ' for update' : ''}`,
    [t.layer, t.name],
  );
  return rows[0];
}

/** Commits a new snapshot atomically; throws CommitConflictError when the table moved past baseSnapshotId. */
export async function commitSnapshot(pool: Pool, request: CommitRequest): Promise<number> {
  return inTransaction(pool, async (client) => {
    const { table } = request;
    await client.query(
      'insert into strata_catalog.tables (layer, name) values ($1, $2) on conflict (layer, name) do nothing',
      [table.layer, table.name],
    );
    const row = (await tableRowOf(client, table, true))!;
    if (request.fenceEpoch !== undefined && row.fence_epoch !== request.fenceEpoch) {
      throw new FencedError(
        `${qualifiedName(table)}: another writer took over this batch's entries (fence ${request.fenceEpoch} → ${row.fence_epoch}); not committed`,
        {
          context: { table: qualifiedName(table), runId: request.runId },
        },
      );
    }
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
        throw new CommitConflictError(
          `${qualifiedName(table)}: files this commit replaces were removed by another commit; re-read and retry`,
          {
            context: { table: qualifiedName(table), runId: request.runId },
          },
        );
      }
    }
    const { rows } = await client.query<{ snapshot_id: number }>(
      `insert into strata_catalog.snapshots (table_id, parent_snapshot_id, operation, run_id, summary)
       values ($1, $2, $3, $4, $5) returning snapshot_id`,
      [
        row.table_id,
        row.current_snapshot_id,
        request.operation,
        request.runId ?? null,
        JSON.stringify(request.summary ?? {}),
      ],
    );
    const snapshotId = rows[0]!.snapshot_id;
    if (request.remove === 'all') {
      await client.query(
        'update strata_catalog.files set removed_snapshot_id = $1 where table_id = $2 and removed_snapshot_id is null',
        [snapshotId, row.table_id],
      );
    } else if (request.remove?.length) {
      await client.query(
        'update strata_catalog.files set removed_snapshot_id = $1 where table_id = $2 and removed_snapshot_id is null and file_id = any($3)',
        [snapshotId, row.table_id, request.remove],
      );
    }
    for (const f of request.add) {
      const inserted = await client.query<{ file_id: number }>(
        `insert into strata_catalog.files (table_id, path, row_count, bytes, partition_values, column_stats, stream_first_id, stream_last_id, added_snapshot_id, compacted_from, observed_dates)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning file_id`,
        [
          row.table_id,
          f.path,
          f.rowCount,
          f.bytes,
          JSON.stringify(f.partitionValues ?? {}),
          JSON.stringify(f.columnStats ?? {}),
          f.streamFirstId ?? null,
          f.streamLastId ?? null,
          snapshotId,
          f.compactedFrom ?? null,
          f.observedDates ? JSON.stringify(f.observedDates) : null,
        ],
      );
      if (f.compactedFrom?.length) {
        // The merged files' rows are locked (removed above), so no reader can consume one of them meanwhile: they must
        // still share their consumers, or a reader that had read some of them would read those rows again.
        const { rows: sets } = await client.query<{ n: number }>(
          `select count(distinct consumers)::int as n from (
             select m.file_id, coalesce(string_agg(c.table_id::text, ',' order by c.table_id), '') as consumers
               from unnest($1::bigint[]) as m(file_id) left join strata_catalog.consumed c using (file_id) group by m.file_id) as s`,
          [f.compactedFrom],
        );
        if (sets[0]!.n > 1) {
          throw new CommitConflictError(
            `${qualifiedName(table)}: a reader consumed some of the files being compacted meanwhile; compact again`,
            {
              context: { table: qualifiedName(table), runId: request.runId },
            },
          );
        }
        // Tables that had processed every merged file have processed the merged one too.
        await client.query(
          `insert into strata_catalog.consumed (table_id, file_id)
           select table_id, $1 from strata_catalog.consumed where file_id = any($2) group by table_id having count(*) = cardinality($2::bigint[])
           on conflict do nothing`,
          [inserted.rows[0]!.file_id, f.compactedFrom],
        );
      }
    }
    if (request.consumed?.length) {
      const wanted = new Set(request.consumed).size;
      // Locks the input files' rows: a compaction removing them waits for this commit, and then sees it (see compact.ts).
      const { rows: live } = await client.query(
        'select file_id from strata_catalog.files where file_id = any($1) and removed_snapshot_id is null order by file_id for share',
        [request.consumed],
      );
      if (request.consumeOnce && live.length !== wanted) {
        throw new CommitConflictError(
          `${qualifiedName(table)}: ${wanted - live.length} of the input files this run read were compacted or replaced meanwhile; run it again`,
          { context: { table: qualifiedName(table), runId: request.runId } },
        );
      }
      const { rowCount } = await client.query(
        'insert into strata_catalog.consumed (table_id, file_id) select $1, unnest($2::bigint[]) on conflict do nothing',
        [row.table_id, [...new Set(request.consumed)]],
      );
      if (request.consumeOnce && rowCount !== wanted) {
        throw new CommitConflictError(
          `${qualifiedName(table)}: ${wanted - (rowCount ?? 0)} of the input files this run read were already processed by another run; nothing committed`,
          { context: { table: qualifiedName(table), runId: request.runId } },
        );
      }
    }
    await client.query('update strata_catalog.tables set current_snapshot_id = $1 where table_id = $2', [
      snapshotId,
      row.table_id,
    ]);
    return snapshotId;
  });
}
