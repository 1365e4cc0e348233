// append: new keys only; a key the table already holds is left as it is. Reads only the files whose key statistics
// may hold one of the batch's keys, so appending to a table of thousands of files reads the few recent ones.
import { sqlIdent, sqlString } from '../../core/duckdb.ts';
import type { LiveFile } from '../../lake/catalog/catalog.ts';
import type { TableDefinition } from '../table-spec.ts';
import {
  describe,
  filesQuery,
  keyList,
  modeInput,
  writeByScope,
  type Fold,
  type ModeInput,
  type TableRunContext,
  type WriteMode,
} from './mode.ts';

export function appendRows({ batch, primaryKey, existing }: ModeInput): string {
  if (!existing) return batch;
  const keys = keyList(primaryKey);
  return `select * from (${batch}) as b anti join (select ${keys} from (${existing})) as t using (${keys})`;
}

const appendFold: Fold = async ({ ctx, table, batch }, live) => ({
  sql: appendRows({
    ...modeInput(table, batch),
    existing: await filesQuery(ctx, await filesThatMayHoldKeys(ctx, table, batch, live)),
  }),
  remove: [],
  partitions: [],
});

export const appendMode: WriteMode = {
  ranksRows: true,
  keysFromSql: false,
  incrementalOperation: 'append',
  write: (run) => writeByScope(run, appendFold),
};

/** Key columns whose Parquet statistics can rule a file out: numbers, dates and times (text statistics may be truncated). */
const PRUNABLE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|DATE|TIMESTAMP.*)$/;

/** The files that may hold one of the batch's keys: a file whose min/max of some key column lies wholly outside the batch's range cannot. */
async function filesThatMayHoldKeys(
  ctx: TableRunContext,
  table: TableDefinition,
  batch: string,
  files: LiveFile[],
): Promise<LiveFile[]> {
  if (files.length === 0) return files;
  const types = new Map((await describe(ctx.duck, batch)).map((c) => [c.name, c.type]));
  const prunable = table.primaryKey.filter((k) => PRUNABLE.test(types.get(k) ?? ''));
  if (prunable.length === 0) return files;
  let kept = files.map((_, i) => i);
  for (const key of prunable) {
    const type = types.get(key)!;
    const stat = (f: LiveFile, side: 'min' | 'max') =>
      f.columnStats?.[key]?.[side] == null ? 'null' : sqlString(String(f.columnStats[key][side]));
    const values = kept.map((i) => `(${i}, ${stat(files[i]!, 'min')}, ${stat(files[i]!, 'max')})`).join(', ');
    const rows = await ctx.duck.all(
      `with b as (select min(${sqlIdent(key)}) as lo, max(${sqlIdent(key)}) as hi from (${batch}))
       select i from (values ${values}) v(i, fmin, fmax), b
        where b.lo is not null and (try_cast(fmin as ${type}) is null or try_cast(fmax as ${type}) is null
               or (try_cast(fmin as ${type}) <= b.hi and try_cast(fmax as ${type}) >= b.lo))`,
    );
    kept = rows.map((r) => Number(r.i));
    if (kept.length === 0) break;
  }
  return kept.map((i) => files[i]!);
}
