// merge: new rows replace the rows with their key; only the partitions the batch touches are rewritten.
import { sqlIdent } from '../../core/duckdb.ts';
import { partitionOf } from '../plan.ts';
import {
  filesQuery,
  idsOf,
  keyList,
  modeInput,
  writeByScope,
  type Fold,
  type ModeInput,
  type WriteMode,
} from './mode.ts';

/** Existing and new rows together, one per key; latestBy decides, and a new row wins a tie. */
export function mergeRows({ batch, primaryKey, latestBy, existing }: ModeInput): string {
  if (!existing) return batch;
  const order = [latestBy, '__new desc'].filter(Boolean).join(', ');
  return `select * exclude (__new) from (
      select *, false as __new from (${existing})
      union all by name
      select *, true as __new from (${batch})
    ) qualify row_number() over (partition by ${keyList(primaryKey)} order by ${order}) = 1`;
}

/** Folds a batch into the partitions it touches (every file when the table has no partitions). */
export const mergeFold: Fold = async ({ ctx, table, batch }, live) => {
  let affected = live;
  let partitions: string[] = [];
  if (table.partitionBy) {
    const rows = await ctx.duck.all(
      `select distinct ${sqlIdent(table.partitionBy)}::varchar as p from (${batch}) order by p`,
    );
    partitions = rows.map((r) => String(r.p));
    affected = live.filter((f) => partitions.includes(partitionOf(f) ?? ''));
  }
  return {
    sql: mergeRows({ ...modeInput(table, batch), existing: await filesQuery(ctx, affected) }),
    remove: idsOf(affected),
    partitions,
  };
};

export const mergeMode: WriteMode = {
  ranksRows: true,
  keysFromSql: false,
  incrementalOperation: 'merge',
  write: (run) => writeByScope(run, mergeFold),
};
