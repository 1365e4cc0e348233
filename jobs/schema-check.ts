// Schema evolution between runs: a new column is added (older files read it as NULL); a column whose type changes
// incompatibly stops the run with the column, both types and the fix.
import { TerminalError } from '../core/errors.ts';

export interface ColumnType {
  name: string;
  type: string;
}

/** Widenings a reader of the old files and the new ones together can take (DuckDB's union_by_name casts them). */
const WIDENINGS: Record<string, string[]> = {
  TINYINT: ['SMALLINT', 'INTEGER', 'BIGINT', 'DOUBLE'],
  SMALLINT: ['INTEGER', 'BIGINT', 'DOUBLE'],
  INTEGER: ['BIGINT', 'DOUBLE'],
  BIGINT: ['DOUBLE'],
  FLOAT: ['DOUBLE'],
};

/** Returns the columns the batch adds; throws when a column's type changed to one the old files cannot widen to. */
export function checkSchema(table: string, existing: ColumnType[], batch: ColumnType[], sqlFile: string): string[] {
  const before = new Map(existing.map((c) => [c.name, c.type]));
  const problems: string[] = [];
  for (const c of batch) {
    const old = before.get(c.name);
    if (old === undefined || old === c.type || WIDENINGS[old]?.includes(c.type)) continue;
    problems.push(`- column "${c.name}" was ${old} and is now ${c.type}`);
  }
  if (problems.length) {
    throw new TerminalError(
      `${table}: incompatible schema change:\n${problems.join('\n')}\n` +
        `Cast the column back to its old type in ${sqlFile}, or rebuild the table with the new type: pnpm job:${table.split('.')[0]} --full-refresh --select ${table}`,
      { context: { table } },
    );
  }
  return batch.filter((c) => !before.has(c.name)).map((c) => c.name);
}
