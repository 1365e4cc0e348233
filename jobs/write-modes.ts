// The SQL of each write mode: how a batch of checked rows combines with the rows a table already holds.
import { sqlIdent } from '../core/duckdb.ts';
import type { Scd2Options } from './table-spec.ts';

export interface ModeInput {
  /** A query returning the batch's rows (passed expectations; output columns only; one row per key for merge and append). */
  batch: string;
  primaryKey: string[];
  latestBy?: string;
  /** A query returning the table's existing rows that this write may replace, or undefined when there are none. */
  existing?: string;
}

const keys = (pk: string[]) => pk.map(sqlIdent).join(', ');
const order = (latestBy: string | undefined, tieBreak: string) => [latestBy, tieBreak].filter(Boolean).join(', ');

/** merge: existing and new rows together, one per key; latestBy decides, and a new row wins a tie. */
export function mergeRows(input: ModeInput): string {
  if (!input.existing) return input.batch;
  return `select * exclude (__new) from (
      select *, false as __new from (${input.existing})
      union all by name
      select *, true as __new from (${input.batch})
    ) qualify row_number() over (partition by ${keys(input.primaryKey)} order by ${order(input.latestBy, '__new desc')}) = 1`;
}

/** append: new keys only; a key the table already holds is left as it is. */
export function appendRows(input: ModeInput): string {
  if (!input.existing) return input.batch;
  return `select * from (${input.batch}) as b anti join (select ${keys(input.primaryKey)} from (${input.existing})) as t using (${keys(input.primaryKey)})`;
}

export const SCD2_COLUMNS = ['valid_from', 'valid_to', 'is_current'] as const;

/**
 * scd2: the full history of each key from existing versions and new rows. Rows with the same key and validFrom
 * collapse (a new one wins); consecutive versions whose tracked columns are equal collapse into the first; each
 * version is valid until the next one starts.
 */
export function scd2Rows(input: ModeInput, options: Scd2Options, trackedColumns: string[]): string {
  const pk = keys(input.primaryKey);
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
