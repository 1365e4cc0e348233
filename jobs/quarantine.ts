// `<table>__quarantine`: rows that broke a quarantine rule, kept with their raw form, the rules they broke and the
// run that saw them. Appended run after run; a row already there (same table key and raw form) is not added twice.
import type { TableRef } from '../lake/catalog/catalog.ts';
import { sqlIdent, sqlString, type DuckSession } from '../core/duckdb.ts';
import type { Runtime } from '../lake/runtime.ts';
import type { TableDefinition } from './table-spec.ts';
import { writeRows } from './write-files.ts';

export const quarantineRef = (ref: TableRef): TableRef => ({ layer: ref.layer, name: `${ref.name}__quarantine` });

export interface QuarantineWrite {
  /** The checked rows (`__checked`), with a `__broke_<rule>` column per rule. */
  checked: string;
  columns: string[];
  rules: string[];
  /** Per rule, a SQL text expression over the row (`c`) saying why it broke; recorded as `rule: reason`. */
  reasons?: Record<string, string>;
  /** Start over (full refresh) instead of appending. */
  replace: boolean;
  tmpDir: string;
  runId: string;
}

/** Appends this run's quarantined rows; returns how many were new. */
export async function writeQuarantine(
  rt: Runtime,
  duck: DuckSession,
  table: TableDefinition,
  w: QuarantineWrite,
): Promise<number> {
  const ref = quarantineRef({ layer: table.layer, name: table.name });
  const base = await rt.catalog.currentSnapshot(ref);
  if (w.rules.length === 0 && !base) return 0;
  const broke = (r: string) => sqlIdent(`__broke_${r}`);
  const brokenList = w.rules.length
    ? `list_filter([${w.rules.map((r) => `case when ${broke(r)} then ${w.reasons?.[r] ? `${sqlString(`${r}: `)} || ${w.reasons[r]}` : sqlString(r)} end`).join(', ')}], x -> x is not null)`
    : `[]::VARCHAR[]`;
  const raw = w.columns.includes('_raw') ? '_raw' : `to_json(c)::VARCHAR`;
  // A window table checks rows, not windows: its rows are keyed by the window's key and their event time.
  const keyColumns = table.window ? [...table.window.groupBy, table.window.eventTime] : table.primaryKey;
  const keys = keyColumns.map((k) => `c.${sqlIdent(k)}`).join(', ');
  let rows = `select ${keys}, ${raw} as raw, md5(${raw}) as raw_md5, ${brokenList} as broken_rules, ${sqlString(w.runId)} as run_id, now() as quarantined_at
                from ${w.checked} as c where ${w.rules.map(broke).join(' or ') || 'false'}`;
  if (base && !w.replace && base.files.length) {
    const paths = await Promise.all(base.files.map((f) => rt.store.localPath(f.path)));
    await duck.run(
      `create or replace temp view __quarantined as select raw_md5 from read_parquet([${paths.map(sqlString).join(', ')}], union_by_name = true, hive_partitioning = false)`,
    );
    rows = `select * from (${rows}) as n where raw_md5 not in (select raw_md5 from __quarantined)`;
  }
  const count = Number(await duck.scalar(`select count(*) from (${rows})`));
  // Nothing to add, or nothing to replace with on a table that has none: no file is written.
  if (count === 0 && (!base || !w.replace)) return 0;
  const files = await writeRows(rt, duck, ref, `${rows} order by all`, { tmpDir: w.tmpDir, runId: `${w.runId}-q` });
  await rt.catalog.commit({
    table: ref,
    baseSnapshotId: base?.snapshotId ?? null,
    operation: w.replace || !base ? 'replace' : 'append',
    remove: w.replace ? 'all' : undefined,
    add: files,
    runId: w.runId,
  });
  return count;
}
