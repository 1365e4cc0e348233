// Runs one declared table: its SQL over the inputs' current snapshots, the expectations, a primary-key check,
// then one Parquet file committed as the table's next snapshot. Rows that break a quarantine rule go to
// `<table>__quarantine` with their raw form and the names of the rules they broke.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { refOf, type DataFile, type TableRef } from '../catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../duckdb.ts';
import { describeError, TerminalError } from '../errors.ts';
import type { Runtime } from '../runtime.ts';
import { attachTable } from './lake-views.ts';
import type { TableDefinition, TableRunResult } from './table-spec.ts';

/** Columns whose names start with `_` feed rules and quarantine (e.g. `_raw`) but are not written to the table. */
const isInternal = (column: string) => column.startsWith('_');
const CANDIDATES = '__candidates';
const CHECKED = '__checked';

export async function runTable(rt: Runtime, duck: DuckSession, table: TableDefinition, runId: string): Promise<TableRunResult> {
  const started = Date.now();
  const result: TableRunResult = { table: `${table.layer}.${table.name}`, status: 'succeeded', rowsIn: 0, rowsOut: 0, rowsQuarantined: 0, rowsDropped: 0, warnings: {}, durationMillis: 0 };
  const ref: TableRef = { layer: table.layer, name: table.name };
  const tmpDir = path.join(rt.config.dataDir, 'tmp', 'jobs', runId);
  try {
    const base = await rt.catalog.currentSnapshot(ref);
    const inputs = [];
    for (const input of table.from) inputs.push(await attachTable(rt, duck, refOf(input)));
    result.rowsIn = inputs.reduce((n, i) => n + i.rowCount, 0);

    await duck.run(`create or replace temp table ${CANDIDATES} as ${table.sql.trim().replace(/;\s*$/, '')}`);
    const columns = (await duck.all(`select column_name from information_schema.columns where table_name = '${CANDIDATES}' order by ordinal_position`)).map(
      (r) => r.column_name as string,
    );
    const rules = Object.entries(table.expectations ?? {});
    const flags = rules.map(([rule, e]) => `not coalesce((${e.check}), false) as ${sqlIdent(`__broke_${rule}`)}`);
    await duck.run(`create or replace temp table ${CHECKED} as select *${flags.map((f) => `, ${f}`).join('')} from ${CANDIDATES}`);

    const broke = (rule: string) => sqlIdent(`__broke_${rule}`);
    const counts = rules.length
      ? await duck.all(`select ${rules.map(([rule]) => `count(*) filter (where ${broke(rule)})::bigint as ${sqlIdent(rule)}`).join(', ')} from ${CHECKED}`)
      : [{}];
    const broken = Object.fromEntries(Object.entries(counts[0]!).map(([k, v]) => [k, Number(v)]));
    const failing = rules.filter(([rule, e]) => e.action === 'fail' && broken[rule]! > 0);
    if (failing.length) {
      throw new TerminalError(
        `${result.table}: expectations with action "fail" were broken:\n${failing.map(([rule, e]) => `- ${rule} (${e.check}): ${broken[rule]} rows`).join('\n')}\nFix the input or relax the rule's action.`,
      );
    }
    for (const [rule, e] of rules) if (e.action === 'warn' && broken[rule]! > 0) result.warnings[rule] = broken[rule]!;
    const anyOf = (action: string) => rules.filter(([, e]) => e.action === action).map(([rule]) => broke(rule)).join(' or ') || 'false';
    const keep = `not (${anyOf('quarantine')}) and not (${anyOf('drop')})`;
    result.rowsQuarantined = Number(await duck.scalar(`select count(*) from ${CHECKED} where ${anyOf('quarantine')}`));
    result.rowsDropped = Number(await duck.scalar(`select count(*) from ${CHECKED} where not (${anyOf('quarantine')}) and (${anyOf('drop')})`));

    const pk = table.primaryKey.map(sqlIdent).join(', ');
    const duplicates = Number(await duck.scalar(`select count(*) - count(distinct (${pk})) from ${CHECKED} where ${keep}`));
    if (duplicates > 0) {
      throw new TerminalError(
        `${result.table}: ${duplicates} rows repeat the primary key (${table.primaryKey.join(', ')}); keep one row per key in ${path.basename(table.sqlPath)} (e.g. with QUALIFY row_number() …)`,
      );
    }

    await mkdir(tmpDir, { recursive: true });
    const output = columns.filter((c) => !isInternal(c)).map(sqlIdent).join(', ');
    const file = await writeFile(rt, duck, ref, `select ${output} from ${CHECKED} where ${keep} order by ${pk}`, tmpDir, runId);
    result.rowsOut = file.rowCount;
    const lineage = Object.fromEntries(inputs.map((i) => [`${i.ref.layer}.${i.ref.name}`, i.snapshotId]));
    result.snapshotId = await rt.catalog.commit({
      table: ref, baseSnapshotId: base?.snapshotId ?? null, operation: 'replace', remove: 'all', add: [file], runId,
      summary: { inputs: lineage, rowsIn: result.rowsIn, rowsQuarantined: result.rowsQuarantined, rowsDropped: result.rowsDropped },
    });

    if (rules.some(([, e]) => e.action === 'quarantine') || (await rt.catalog.currentSnapshot(quarantineRef(ref)))) {
      await writeQuarantine(rt, duck, table, columns, rules.filter(([, e]) => e.action === 'quarantine').map(([r]) => r), tmpDir, runId);
    }
  } catch (error) {
    result.status = 'failed';
    result.error = describeError(error);
  } finally {
    await rm(tmpDir, { recursive: true, force: true });
  }
  result.durationMillis = Date.now() - started;
  return result;
}

export const quarantineRef = (ref: TableRef): TableRef => ({ layer: ref.layer, name: `${ref.name}__quarantine` });

/** Replaces `<table>__quarantine` with this run's quarantined rows: key columns, the raw record, the broken rules. */
async function writeQuarantine(rt: Runtime, duck: DuckSession, table: TableDefinition, columns: string[], rules: string[], tmpDir: string, runId: string) {
  const ref = quarantineRef({ layer: table.layer, name: table.name });
  const brokenList = rules.length
    ? `list_filter([${rules.map((r) => `case when ${sqlIdent(`__broke_${r}`)} then ${sqlString(r)} end`).join(', ')}], x -> x is not null)`
    : `[]::VARCHAR[]`;
  const raw = columns.includes('_raw') ? '_raw' : `to_json(${CANDIDATES}_row)::VARCHAR`;
  const keys = table.primaryKey.map(sqlIdent).join(', ');
  const anyRule = rules.map((r) => sqlIdent(`__broke_${r}`)).join(' or ') || 'false';
  const sql = `select ${keys}, ${raw} as raw, ${brokenList} as broken_rules, ${sqlString(runId)} as run_id, now() as quarantined_at
                 from ${CHECKED} ${columns.includes('_raw') ? '' : `as ${CANDIDATES}_row`} where ${anyRule} order by ${keys}`;
  const base = await rt.catalog.currentSnapshot(ref);
  const file = await writeFile(rt, duck, ref, sql, tmpDir, runId);
  await rt.catalog.commit({ table: ref, baseSnapshotId: base?.snapshotId ?? null, operation: 'replace', remove: 'all', add: [file], runId });
}

/** Writes a query's rows to one Parquet file in the lake; returns its catalog entry with per-column min/max. */
async function writeFile(rt: Runtime, duck: DuckSession, ref: TableRef, sql: string, tmpDir: string, runId: string): Promise<DataFile> {
  const local = path.join(tmpDir, `${ref.name}.parquet`);
  await duck.run(`copy (${sql}) to ${sqlString(local)} (format parquet, compression zstd)`);
  const key = `${ref.layer}/${ref.name}/${runId}.parquet`;
  const info = await rt.store.putFile(key, local);
  const source = `read_parquet(${sqlString(local)})`;
  const described = await duck.all(`describe select * from ${source}`);
  const scalar = described.filter((c) => !/[[\]()]|STRUCT|MAP|LIST/i.test(String(c.column_type))).map((c) => String(c.column_name));
  const stats = scalar.length
    ? (await duck.allJson(`select count(*) as __rows, ${scalar.map((c, i) => `min(${sqlIdent(c)})::VARCHAR as min${i}, max(${sqlIdent(c)})::VARCHAR as max${i}`).join(', ')} from ${source}`)).rows[0]!
    : (await duck.allJson(`select count(*) as __rows from ${source}`)).rows[0]!;
  return {
    path: key,
    rowCount: Number(stats.__rows),
    bytes: info.bytes,
    columnStats: Object.fromEntries(scalar.map((c, i) => [c, { min: stats[`min${i}`], max: stats[`max${i}`] }])),
  };
}
