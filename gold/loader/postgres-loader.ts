// Loads gold tables into PostgreSQL atomically (DESIGN.md contract 7): rows go into a fresh staging table, which
// replaces the served table inside one transaction. Readers see the old rows or the new ones, never a mix; a
// failed load drops its staging table and leaves the previous data serving.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { newRunId, type StepResult } from '../../lake/catalog/runs.ts';
import type { DuckSession } from '../../core/duckdb.ts';
import { sqlIdent } from '../../core/duckdb.ts';
import { describeError, TerminalError } from '../../core/errors.ts';
import { attachTable } from '../../lake/lake-views.ts';
import type { TableDefinition } from '../../jobs/table-spec.ts';
import { inTransaction } from '../../core/postgres.ts';
import type { Runtime } from '../../lake/runtime.ts';
import { GOLD_LOADED_CHANNEL, GOLD_SCHEMA, stagingName } from '../served.ts';

/**
 * A PostgreSQL load of a gold table (target `gold.<name>`): rowsIn the lake rows read, rowsOut the rows served. A
 * streaming micro-batch's upsert records no run of its own (the stream's run counts it).
 */
export interface LoadResult extends StepResult {
  kind: 'load';
  status: 'succeeded' | 'failed';
  /** The lake snapshot PostgreSQL now serves. */
  snapshotId: number | null;
}

const PG_TYPES: [RegExp, string][] = [
  [/^(VARCHAR|TEXT|UUID)$/, 'text'],
  [/^BIGINT$|^HUGEINT$|^UBIGINT$/, 'bigint'],
  [/^(INTEGER|SMALLINT|TINYINT|UINTEGER|USMALLINT|UTINYINT)$/, 'integer'],
  [/^(DOUBLE|FLOAT)$/, 'double precision'],
  [/^DECIMAL/, 'numeric'],
  [/^BOOLEAN$/, 'boolean'],
  [/^DATE$/, 'date'],
  [/^TIMESTAMP WITH TIME ZONE$|^TIMESTAMPTZ$/, 'timestamptz'],
  [/^TIMESTAMP/, 'timestamp'],
  [/\[\]$|^STRUCT|^MAP|^JSON$/, 'jsonb'],
];

function pgTypeOf(duckType: string, column: string, table: string): string {
  const found = PG_TYPES.find(([pattern]) => pattern.test(duckType));
  if (!found)
    throw new TerminalError(
      `${table}.${column}: DuckDB type ${duckType} has no PostgreSQL mapping; cast it in the table's SQL`,
    );
  return found[1];
}

const MAX_PARAMS_PER_INSERT = 60_000;

/**
 * Inserts rows in chunks of bound parameters; with `upsertKey`, a row whose key exists replaces its values. Returns
 * how many rows are new (not replacing one).
 */
async function insertRows(
  db: Pick<pg.Pool, 'query'>,
  target: string,
  columns: string[],
  rows: Record<string, unknown>[],
  upsertKey?: string[],
): Promise<number> {
  const names = columns.map((c) => pg.escapeIdentifier(c)).join(', ');
  const onConflict = upsertKey
    ? ` on conflict (${upsertKey.map((c) => pg.escapeIdentifier(c)).join(', ')}) do update set ${columns
        .filter((c) => !upsertKey.includes(c))
        .map((c) => `${pg.escapeIdentifier(c)} = excluded.${pg.escapeIdentifier(c)}`)
        .join(', ')}`
    : '';
  const perInsert = Math.max(1, Math.floor(MAX_PARAMS_PER_INSERT / columns.length));
  let added = 0;
  for (let i = 0; i < rows.length; i += perInsert) {
    const params: unknown[] = [];
    const tuples = rows.slice(i, i + perInsert).map(
      (row) =>
        `(${columns
          .map((c) => {
            const v = row[c];
            params.push(v !== null && typeof v === 'object' ? JSON.stringify(v) : v);
            return `$${params.length}`;
          })
          .join(', ')})`,
    );
    if (!upsertKey) {
      await db.query(`insert into ${target} (${names}) values ${tuples.join(', ')}`, params);
      added += tuples.length;
      continue;
    }
    // xmax is 0 on a row version this statement inserted, not on one it updated.
    const { rows: written } = await db.query<{ added: boolean }>(
      `insert into ${target} (${names}) values ${tuples.join(', ')}${onConflict} returning (xmax = 0) as added`,
      params,
    );
    added += written.filter((r) => r.added).length;
  }
  return added;
}

export interface GoldChange {
  /** The snapshot the change was computed from, and the one it committed. */
  baseSnapshotId: number | null;
  snapshotId: number;
  /** The rows the commit changed, whole (every column). */
  rows: Record<string, unknown>[];
}

/**
 * Brings PostgreSQL to a snapshot a micro-batch just committed: when it serves the rows the batch started from,
 * the changed rows are upserted by key, the served snapshot moves and listeners are notified, in one transaction (a
 * crash leaves the old snapshot served, and the next batch reloads). Otherwise (never loaded, behind, or a schema
 * change) the whole table is loaded by swap.
 */
export async function applyGoldChange(
  rt: Runtime,
  duck: DuckSession,
  table: TableDefinition,
  change: GoldChange,
): Promise<LoadResult & { mode: 'upsert' | 'full' }> {
  const started = Date.now();
  const target = `${pg.escapeIdentifier(GOLD_SCHEMA)}.${pg.escapeIdentifier(table.name)}`;
  const applied = await inTransaction(rt.pool, async (client) => {
    const { rows } = await client.query<{ snapshot_id: string }>(
      'select snapshot_id from strata_catalog.gold_loads where table_name = $1 for update',
      [table.name],
    );
    if (change.baseSnapshotId === null || rows[0] === undefined) return false;
    // PostgreSQL holds the rows the batch started from, even if compactions committed snapshots in between.
    if (!(await rt.catalog.sameRows(table, Number(rows[0].snapshot_id), change.baseSnapshotId))) return false;
    const added = change.rows.length
      ? await insertRows(client, target, Object.keys(change.rows[0]!), change.rows, table.primaryKey)
      : 0;
    await client.query(
      'update strata_catalog.gold_loads set snapshot_id = $2, loaded_at = now(), row_count = row_count + $3 where table_name = $1',
      [table.name, change.snapshotId, added],
    );
    await client.query('select pg_notify($1, $2)', [
      GOLD_LOADED_CHANNEL,
      JSON.stringify({ table: table.name, snapshotId: change.snapshotId }),
    ]);
    return true;
  }).catch(() => false);
  if (applied)
    return {
      kind: 'load',
      target: `gold.${table.name}`,
      status: 'succeeded',
      rowsIn: change.rows.length,
      rowsOut: change.rows.length,
      rowsRejected: 0,
      snapshotId: change.snapshotId,
      durationMillis: Date.now() - started,
      mode: 'upsert',
    };
  return { ...(await loadGoldTable(rt, duck, table)), mode: 'full' };
}

/** The lake snapshot PostgreSQL serves for a gold table, if it was ever loaded. */
export async function servedSnapshot(rt: Runtime, table: string): Promise<number | undefined> {
  const { rows } = await rt.pool.query<{ snapshot_id: number }>(
    'select snapshot_id from strata_catalog.gold_loads where table_name = $1',
    [table],
  );
  return rows[0]?.snapshot_id;
}

/** Replaces `gold.<table>` in PostgreSQL with the table's current lake snapshot, atomically. */
export async function loadGoldTable(rt: Runtime, duck: DuckSession, table: TableDefinition): Promise<LoadResult> {
  const started = Date.now();
  const name = `${table.layer}.${table.name}`;
  const runId = await rt.runs.start('load', name, newRunId('load'));
  const staging = stagingName(table.name, randomUUID().slice(0, 8));
  const q = (id: string) => `${pg.escapeIdentifier(GOLD_SCHEMA)}.${pg.escapeIdentifier(id)}`;
  const result: LoadResult = {
    kind: 'load',
    target: name,
    runId,
    status: 'succeeded',
    rowsIn: 0,
    rowsOut: 0,
    rowsRejected: 0,
    snapshotId: null,
    durationMillis: 0,
  };
  try {
    const attached = await attachTable(rt, duck, { layer: 'gold', name: table.name });
    result.snapshotId = attached.snapshotId;
    const described = await duck.all(`describe ${sqlIdent('gold')}.${sqlIdent(table.name)}`);
    const columns = described.map((c) => ({
      name: String(c.column_name),
      pgType: pgTypeOf(String(c.column_type), String(c.column_name), name),
    }));
    const pk = table.primaryKey.map((c) => pg.escapeIdentifier(c)).join(', ');
    await rt.pool.query(`create schema if not exists ${pg.escapeIdentifier(GOLD_SCHEMA)}`);
    await rt.pool.query(
      `create table ${q(staging)} (${columns.map((c) => `${pg.escapeIdentifier(c.name)} ${c.pgType}`).join(', ')}, primary key (${pk}))`,
    );
    const { rows } = await duck.allJson(`select * from ${sqlIdent('gold')}.${sqlIdent(table.name)}`);
    await insertRows(
      rt.pool,
      q(staging),
      columns.map((c) => c.name),
      rows,
    );
    // Indexes for the API's common filters, as the definition declares them (the key's index covers its leading column).
    const indexed = (table.indexes ?? []).filter(
      (cols, i, all) => all.findIndex((other) => other.join() === cols.join()) === i,
    );
    for (const [i, cols] of indexed.entries()) {
      await rt.pool.query(
        `create index ${pg.escapeIdentifier(`${staging}_i${i}`)} on ${q(staging)} (${cols.map((c) => pg.escapeIdentifier(c)).join(', ')})`,
      );
    }
    await inTransaction(rt.pool, async (client) => {
      await client.query(`drop table if exists ${q(table.name)}`);
      await client.query(`alter table ${q(staging)} rename to ${pg.escapeIdentifier(table.name)}`);
      await client.query(`alter index ${q(`${staging}_pkey`)} rename to ${pg.escapeIdentifier(`${table.name}_pkey`)}`);
      for (const [i, cols] of indexed.entries()) {
        await client.query(
          `alter index ${q(`${staging}_i${i}`)} rename to ${pg.escapeIdentifier(`${table.name}_${cols.join('_')}_idx`.slice(0, 63))}`,
        );
      }
      await client.query(
        `insert into strata_catalog.gold_loads (table_name, snapshot_id, row_count) values ($1, $2, $3)
         on conflict (table_name) do update set snapshot_id = excluded.snapshot_id, loaded_at = now(), row_count = excluded.row_count`,
        [table.name, attached.snapshotId, rows.length],
      );
      await client.query('select pg_notify($1, $2)', [
        GOLD_LOADED_CHANNEL,
        JSON.stringify({ table: table.name, snapshotId: attached.snapshotId }),
      ]);
      await client.query(
        `comment on table ${q(table.name)} is ${pg.escapeLiteral(`${table.description} (lake snapshot ${attached.snapshotId}, run ${runId})`)}`,
      );
      for (const [column, text] of Object.entries(table.columns ?? {})) {
        if (columns.some((c) => c.name === column))
          await client.query(
            `comment on column ${q(table.name)}.${pg.escapeIdentifier(column)} is ${pg.escapeLiteral(text)}`,
          );
      }
    });
    result.rowsIn = rows.length;
    result.rowsOut = rows.length;
  } catch (error) {
    result.status = 'failed';
    result.error = loadError(error, `${GOLD_SCHEMA}.${table.name}`);
    await rt.pool.query(`drop table if exists ${q(staging)}`).catch(() => {});
  }
  result.durationMillis = Date.now() - started;
  await rt.runs.finishStep(result);
  return result;
}

/** Why a load failed, with the fix where PostgreSQL's own text does not give it. */
function loadError(error: unknown, target: string): string {
  const { code, detail } = error as { code?: string; detail?: string };
  // 2BP01: a user's view (or other object) on the served table keeps the swap from dropping it.
  if (code === '2BP01')
    return `PostgreSQL cannot replace ${target}: ${detail ?? 'other objects depend on it'}; drop it (a load replaces the table, so a view on it must be recreated after each load), then run the job again`;
  return describeError(error);
}
