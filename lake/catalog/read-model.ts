// The catalog as readers see it: the questions the API, the metrics and the dashboard ask of `strata_catalog`
// (tables, partitions, files, runs, quality, gold loads), typed. Serving goes through here and writes no catalog SQL.
import type { Pool } from '../../core/postgres.ts';
import { deadLetterTable } from '../bronze-schema.ts';
import type { LAYERS } from './catalog.ts';

export interface LakeTableRow {
  layer: (typeof LAYERS)[number];
  name: string;
  snapshot_id: number | null;
  committed_at: Date | null;
  files: number;
  rows: number;
  bytes: number;
  partitions: number;
}

export interface PartitionRow {
  partition_values: Record<string, string>;
  files: number;
  rows: number;
  bytes: number;
}

export interface SnapshotRow {
  snapshot_id: number;
  operation: string;
  committed_at: Date;
  /** The files, rows and bytes live in the table as of this snapshot (as far as the catalog still records them). */
  files: number;
  rows: number;
  bytes: number;
}

export interface FileRow {
  path: string;
  row_count: number;
  bytes: number;
  partition_values: Record<string, string>;
  added_snapshot_id: number;
  committed_at: Date;
}

export interface RunRow {
  started_text: string;
  run_id: string;
  kind: string;
  target: string;
  status: string;
  started_at: Date;
  finished_at: Date | null;
  rows_in: number | null;
  rows_out: number | null;
  rows_quarantined: number | null;
  error: string | null;
  details: Record<string, unknown>;
}

export interface RunFilter {
  kind?: string;
  target?: string;
  status?: string;
  /** Keyset: runs started before this one (`started_at` at PostgreSQL's full precision, then run id). */
  before?: { startedAt: string; runId: string };
  limit: number;
}

export interface TableQualityRow {
  layer: string;
  name: string;
  quarantined: number;
  run_id: string | null;
  status: string | null;
  finished_at: Date | null;
  rows_in: number | null;
  rows_out: number | null;
  rows_quarantined: number | null;
  details: Record<string, unknown> | null;
  error: string | null;
  /** Gold: the table's latest PostgreSQL load. */
  load_run_id: string | null;
  load_status: string | null;
  load_finished_at: Date | null;
  load_error: string | null;
}

const DEAD_LETTERS_SUFFIX = deadLetterTable('');

const TABLES_SQL = `
  select t.layer, t.name, t.current_snapshot_id as snapshot_id, s.committed_at,
         count(f.file_id)::bigint as files, coalesce(sum(f.row_count), 0)::bigint as rows, coalesce(sum(f.bytes), 0)::bigint as bytes,
         count(distinct f.partition_values)::bigint as partitions
    from strata_catalog.tables t
    left join strata_catalog.snapshots s on s.snapshot_id = t.current_snapshot_id
    left join strata_catalog.files f on f.table_id = t.table_id and f.removed_snapshot_id is null`;

const TABLE_ID = `(select table_id from strata_catalog.tables where layer = $1 and name = $2)`;

export class CatalogReadModel {
  constructor(private readonly pool: Pool) {}

  /** Every lake table (or a layer's) with its live files, rows, bytes and partitions, bronze first. */
  async tables(layer?: string): Promise<LakeTableRow[]> {
    const { rows } = await this.pool.query<LakeTableRow>(
      `${TABLES_SQL} ${layer ? 'where t.layer = $1' : ''}
        group by t.table_id, s.committed_at order by array_position(array['bronze', 'silver', 'gold'], t.layer), t.name`,
      layer ? [layer] : [],
    );
    return rows;
  }

  async table(layer: string, name: string): Promise<LakeTableRow | undefined> {
    const { rows } = await this.pool.query<LakeTableRow>(
      `${TABLES_SQL} where t.layer = $1 and t.name = $2 group by t.table_id, s.committed_at`,
      [layer, name],
    );
    return rows[0];
  }

  /** A table's live partitions, newest first. */
  async partitions(layer: string, name: string): Promise<PartitionRow[]> {
    const { rows } = await this.pool.query<PartitionRow>(
      `select partition_values, count(*)::bigint as files, sum(row_count)::bigint as rows, sum(bytes)::bigint as bytes
         from strata_catalog.files where table_id = ${TABLE_ID} and removed_snapshot_id is null
        group by partition_values order by partition_values::text desc`,
      [layer, name],
    );
    return rows;
  }

  /** A table's latest snapshots, newest first: when each was committed, by what, and what the table then held. */
  async snapshots(layer: string, name: string, limit = 100): Promise<SnapshotRow[]> {
    const { rows } = await this.pool.query<SnapshotRow>(
      `select s.snapshot_id, s.operation, s.committed_at, held.files, held.rows, held.bytes
         from (select * from strata_catalog.snapshots where table_id = ${TABLE_ID}
                order by snapshot_id desc limit ${Math.trunc(limit)}) s
         cross join lateral (
           select count(*)::bigint as files, coalesce(sum(f.row_count), 0)::bigint as rows,
                  coalesce(sum(f.bytes), 0)::bigint as bytes
             from strata_catalog.files f
            where f.table_id = s.table_id and f.added_snapshot_id <= s.snapshot_id
              and (f.removed_snapshot_id is null or f.removed_snapshot_id > s.snapshot_id)) held
        order by s.snapshot_id desc`,
      [layer, name],
    );
    return rows;
  }

  /** The live files of one partition, with the commit that added each. */
  async partitionFiles(layer: string, name: string, partition: Record<string, string>): Promise<FileRow[]> {
    const { rows } = await this.pool.query<FileRow>(
      `select f.path, f.row_count, f.bytes, f.partition_values, f.added_snapshot_id, s.committed_at
         from strata_catalog.files f join strata_catalog.snapshots s on s.snapshot_id = f.added_snapshot_id
        where f.table_id = ${TABLE_ID} and f.removed_snapshot_id is null and f.partition_values = $3::jsonb order by f.path`,
      [layer, name, JSON.stringify(partition)],
    );
    return rows;
  }

  /** Runs, newest first, one more than the limit (so a caller knows whether a next page exists). */
  async runs(filter: RunFilter): Promise<RunRow[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const add = (sql: string, value: unknown) => where.push(sql.replace('?', `$${values.push(value)}`));
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.target) add('target = ?', filter.target);
    if (filter.status) add('status = ?', filter.status);
    if (filter.before) {
      // Runs started in the same millisecond are not skipped: the keyset is at PostgreSQL's full precision.
      const { startedAt, runId } = filter.before;
      where.push(`(started_at, run_id) < ($${values.push(startedAt)}::timestamptz, $${values.push(runId)})`);
    }
    const { rows } = await this.pool.query<RunRow>(
      `select started_at::text as started_text, run_id, kind, target, status, started_at, finished_at, rows_in, rows_out, rows_quarantined, error, details
         from strata_catalog.runs ${where.length ? `where ${where.join(' and ')}` : ''}
        order by started_at desc, run_id desc limit ${Math.trunc(filter.limit) + 1}`,
      values,
    );
    return rows;
  }

  /** Log lines, newest first: at or above a level, of one run, since a time (strata_catalog.logs, core/log.ts). */
  async logs(filter: { levels: readonly string[]; runId?: string; since?: Date; limit: number }): Promise<LogRow[]> {
    const values: unknown[] = [filter.levels];
    const where = ['level = any($1)'];
    if (filter.runId) where.push(`run_id = $${values.push(filter.runId)}`);
    if (filter.since) where.push(`at >= $${values.push(filter.since)}`);
    const { rows } = await this.pool.query<LogRow>(
      `select at, level, command, run_id, target, message, details from strata_catalog.logs
        where ${where.join(' and ')} order by at desc, id desc limit ${Math.trunc(filter.limit)}`,
      values,
    );
    return rows;
  }

  /** Log lines of the last 24 hours by level (for /metrics). */
  async logCounts(): Promise<{ level: string; lines: number }[]> {
    const { rows } = await this.pool.query<{ level: string; lines: string }>(
      "select level, count(*) as lines from strata_catalog.logs where at > now() - interval '24 hours' group by level",
    );
    return rows.map((r) => ({ level: r.level, lines: Number(r.lines) }));
  }

  /** Each silver and gold table with its quarantined rows and its latest job run. */
  async tableQuality(): Promise<TableQualityRow[]> {
    const { rows } = await this.pool.query<TableQualityRow>(
      `select t.layer, t.name,
              coalesce((select sum(f.row_count) from strata_catalog.tables q join strata_catalog.files f on f.table_id = q.table_id and f.removed_snapshot_id is null
                         where q.layer = t.layer and q.name = t.name || '__quarantine'), 0)::bigint as quarantined,
              r.run_id, r.status, r.finished_at, r.rows_in, r.rows_out, r.rows_quarantined, r.details, r.error,
              l.run_id as load_run_id, l.status as load_status, l.finished_at as load_finished_at, l.error as load_error
         from strata_catalog.tables t
         left join lateral (select * from strata_catalog.runs where kind = 'job:' || t.layer and target = t.layer || '.' || t.name order by started_at desc limit 1) r on true
         left join lateral (select * from strata_catalog.runs where t.layer = 'gold' and kind = 'load' and target = t.layer || '.' || t.name order by started_at desc limit 1) l on true
        where t.layer in ('silver', 'gold') and t.name not like '%\\_\\_quarantine'
        order by t.layer desc, t.name`,
    );
    return rows;
  }

  /** Dead letters committed to each source's `bronze.<source>__dead_letters`. */
  async deadLettersInLake(): Promise<{ source: string; letters: number }[]> {
    const { rows } = await this.pool.query<{ source: string; letters: number }>(
      `select left(t.name, -length('${DEAD_LETTERS_SUFFIX}')) as source, coalesce(sum(f.row_count), 0)::bigint as letters
         from strata_catalog.tables t left join strata_catalog.files f on f.table_id = t.table_id and f.removed_snapshot_id is null
        where t.layer = 'bronze' and right(t.name, length('${DEAD_LETTERS_SUFFIX}')) = '${DEAD_LETTERS_SUFFIX}' group by t.name`,
    );
    return rows;
  }

  /** The latest finished run of each kind and target. */
  async latestRuns(): Promise<
    { kind: string; target: string; status: string; finished_at: Date; rows_out: number | null }[]
  > {
    const { rows } = await this.pool.query(
      `select distinct on (kind, target) kind, target, status, finished_at, rows_out from strata_catalog.runs
        where finished_at is not null order by kind, target, finished_at desc`,
    );
    return rows;
  }

  /** The lake snapshot each gold table PostgreSQL serves was loaded from, when, and the rows it holds. */
  async goldLoads(): Promise<{ table_name: string; snapshot_id: number; loaded_at: Date; row_count: number | null }[]> {
    const { rows } = await this.pool.query(
      'select table_name, snapshot_id, loaded_at, row_count from strata_catalog.gold_loads',
    );
    return rows;
  }

  /** Live files and bytes per layer. */
  async sizeByLayer(): Promise<{ layer: string; files: number; bytes: number }[]> {
    const { rows } = await this.pool.query(
      `select t.layer, count(*)::bigint as files, sum(f.bytes)::bigint as bytes from strata_catalog.files f
         join strata_catalog.tables t using (table_id) where f.removed_snapshot_id is null group by t.layer`,
    );
    return rows;
  }
}

export interface LogRow {
  at: Date;
  level: string;
  command: string;
  run_id: string | null;
  target: string | null;
  message: string;
  details: Record<string, unknown>;
}
