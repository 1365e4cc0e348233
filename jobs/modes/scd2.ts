// scd2: the full history of each key as versions (valid_from, valid_to, is_current); a new version only when a
// tracked column changes. Every incremental run rewrites the history with the batch folded in.
import { sqlIdent } from '../../core/duckdb.ts';
import type { Scd2Options, TableDefinition } from '../table-spec.ts';
import {
  describe,
  filesQuery,
  idsOf,
  keyList,
  MODE_COLUMNS,
  modeInput,
  writeByScope,
  type Fold,
  type ModeInput,
  type ModeRun,
  type WriteMode,
} from './mode.ts';

export const SCD2_COLUMNS = MODE_COLUMNS;

/**
 * Versions from existing ones and new rows. Rows with the same key and validFrom collapse (a new one wins);
 * consecutive versions whose tracked columns are equal collapse into the first; each version is valid until the next.
 */
export function scd2Rows(input: ModeInput, options: Scd2Options, trackedColumns: string[]): string {
  const pk = keyList(input.primaryKey);
  const from = sqlIdent(options.validFrom);
  const tracked = trackedColumns.length ? `hash(${trackedColumns.map(sqlIdent).join(', ')})` : '0';
  const versions = input.existing
    ? `select * exclude (__new) from (
         select * exclude (${SCD2_COLUMNS.join(', ')}), false as __new from (${input.existing})
         union all by name
         select *, true as __new from (${input.batch})
       ) qualify row_number() over (partition by ${pk}, ${from} order by __new desc) = 1`
    : `select * from (${input.batch}) qualify row_number() over (partition by ${pk}, ${from}) = 1`;
  return `select * exclude (__changed, __tracked), lead(${from}) over w as valid_to, lead(${from}) over w is null as is_current
      from (
        select *, ${from} as valid_from, __tracked is distinct from lag(__tracked) over (partition by ${pk} order by ${from}) as __changed
        from (select *, ${tracked} as __tracked from (${versions}))
      )
      where __changed
      window w as (partition by ${pk} order by ${from})`;
}

/** The columns whose change opens a version: the declared ones, or every column but the key and validFrom. */
async function trackedColumns({ ctx, table, batch }: ModeRun): Promise<string[]> {
  if (table.scd2!.trackedColumns) return table.scd2!.trackedColumns;
  const skip = new Set([...table.primaryKey, table.scd2!.validFrom]);
  return (await describe(ctx.duck, batch)).map((c) => c.name).filter((c) => !skip.has(c));
}

const versionsOf = async (run: ModeRun, table: TableDefinition, existing?: string) =>
  scd2Rows({ ...modeInput(table, run.batch), existing }, table.scd2!, await trackedColumns(run));

const scd2Fold: Fold = async (run, live) => ({
  sql: await versionsOf(run, run.table, await filesQuery(run.ctx, live)),
  remove: idsOf(live),
  partitions: [],
});

export const scd2Mode: WriteMode = {
  ranksRows: false,
  keysFromSql: false,
  incrementalOperation: 'merge',
  write: (run) => writeByScope(run, scd2Fold, (r) => versionsOf(r, r.table)),
};
