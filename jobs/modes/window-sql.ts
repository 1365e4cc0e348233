// The SQL of writeMode "window" (docs/streaming.md): a run aggregates its rows into partial windows, combines them
// with the windows still open, and splits the result by the new watermark. A row whose window the previous watermark
// had already closed is late: it goes to the quarantine with the reason.
import { sqlIdent, sqlString, type DuckSession } from '../../core/duckdb.ts';
import type { Expectation, WindowMeasure, WindowSpec } from '../table-spec.ts';

/** The watermark a window table carries from run to run, in its snapshot's summary (ISO times). */
export interface WindowState {
  /** The latest event time any run has accepted. */
  maxEventTime: string;
  /** maxEventTime minus the lateness: a window whose end is at or before it is closed. */
  watermark: string;
}

export const LATE_RULE = 'within_watermark';

const interval = (text: string) => `interval ${sqlString(text)}`;
const kindOf = (m: WindowMeasure) => Object.keys(m)[0] as 'first' | 'last' | 'min' | 'max' | 'sum' | 'count';
const exprOf = (m: WindowMeasure) => Object.values(m)[0] as string;
const bucket = (w: WindowSpec) => `time_bucket(${interval(w.size)}, ${sqlIdent(w.eventTime)})`;

/** The rule that flags late rows (only when a watermark exists), and one that keeps rows without an event time out. */
export function windowRules(w: WindowSpec, state: WindowState | undefined): [string, Expectation][] {
  const rules: [string, Expectation][] = [
    [`${w.eventTime}_present`, { check: `${sqlIdent(w.eventTime)} is not null`, action: 'quarantine' }],
  ];
  if (state) {
    rules.push([
      LATE_RULE,
      {
        check: `${sqlIdent(w.eventTime)} is null or ${bucket(w)} + ${interval(w.size)} > ${sqlString(state.watermark)}::timestamptz`,
        action: 'quarantine',
      },
    ]);
  }
  return rules;
}

/** Why a late row was set aside, as a SQL text expression over the row (what the quarantine records). */
export function lateReason(w: WindowSpec, state: WindowState, row: string): string {
  const start = `${row}.${sqlIdent(w.eventTime)}`;
  const at = (t: string) => `strftime(${t}, '%Y-%m-%d %H:%M:%S')`;
  return (
    `format('event time {} falls in the {} window {}–{}, closed since the watermark {} (latest event time {} minus {} of lateness) passed its end', ` +
    `${at(start)}, ${sqlString(w.size)}, ${at(`time_bucket(${interval(w.size)}, ${start})`)}, ${at(`time_bucket(${interval(w.size)}, ${start}) + ${interval(w.size)}`)}, ` +
    `${at(`${sqlString(state.watermark)}::timestamptz`)}, ${at(`${sqlString(state.maxEventTime)}::timestamptz`)}, ${sqlString(w.lateness)})`
  );
}

/** Output columns in order: the key, the window's bounds, the partition column, then each measure (and its `_at`). */
export function windowColumns(w: WindowSpec, partitionBy?: string): string[] {
  const measures = Object.entries(w.measures).flatMap(([name, m]) =>
    kindOf(m) === 'first' || kindOf(m) === 'last' ? [name, `${name}_at`] : [name],
  );
  return [...w.groupBy, 'period_start', 'period_end', ...(partitionBy ? [partitionBy] : []), ...measures];
}

/** Partial windows of `rows`: one row per key and window start. */
export function partialWindows(w: WindowSpec, rows: string, partitionBy?: string): string {
  const et = sqlIdent(w.eventTime);
  const measures = Object.entries(w.measures).map(([name, m]) => {
    const out = sqlIdent(name);
    const at = sqlIdent(`${name}_at`);
    switch (kindOf(m)) {
      case 'first':
        return `min_by(${exprOf(m)}, ${et}) as ${out}, min(${et}) as ${at}`;
      case 'last':
        return `max_by(${exprOf(m)}, ${et}) as ${out}, max(${et}) as ${at}`;
      case 'count':
        return `count(*)::bigint as ${out}`;
      default:
        return `${kindOf(m)}(${exprOf(m)}) as ${out}`;
    }
  });
  const keys = w.groupBy.map(sqlIdent);
  return `select ${[
    ...keys,
    `${bucket(w)} as period_start`,
    `${bucket(w)} + ${interval(w.size)} as period_end`,
    ...(partitionBy ? [`cast(${bucket(w)} as date) as ${sqlIdent(partitionBy)}`] : []),
    ...measures,
  ].join(', ')}
    from (${rows}) group by ${[...keys, bucket(w)].join(', ')}`;
}

/** Existing windows and partial ones of the same key and start, combined into one (each measure by its kind). */
export function combineWindows(w: WindowSpec, existing: string, partial: string, partitionBy?: string): string {
  const measures = Object.entries(w.measures).map(([name, m]) => {
    const out = sqlIdent(name);
    const at = sqlIdent(`${name}_at`);
    switch (kindOf(m)) {
      case 'first':
        return `min_by(${out}, ${at}) as ${out}, min(${at}) as ${at}`;
      case 'last':
        return `max_by(${out}, ${at}) as ${out}, max(${at}) as ${at}`;
      case 'count':
        return `sum(${out})::bigint as ${out}`;
      case 'sum':
        return `sum(${out}) as ${out}`;
      default:
        return `${kindOf(m)}(${out}) as ${out}`;
    }
  });
  const keys = [...w.groupBy, 'period_start'].map(sqlIdent);
  return `select ${[...keys, 'any_value(period_end) as period_end', ...(partitionBy ? [`any_value(${sqlIdent(partitionBy)}) as ${sqlIdent(partitionBy)}`] : []), ...measures].join(', ')}
    from (select * from (${existing}) union all by name select * from (${partial})) group by ${keys.join(', ')}`;
}

/** The state after a run whose accepted rows are `rows`: the latest event time never moves back, nor the watermark. */
export async function nextWindowState(
  duck: DuckSession,
  w: WindowSpec,
  rows: string,
  previous: WindowState | undefined,
): Promise<WindowState | undefined> {
  const iso = (t: string) => `strftime(${t}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
  const latest = `greatest(max(${sqlIdent(w.eventTime)}), ${previous ? `${sqlString(previous.maxEventTime)}::timestamptz` : 'null'})`;
  const row = (
    await duck.all(
      `select ${iso(latest)} as max_event_time, ${iso(`${latest} - ${interval(w.lateness)}`)} as watermark from (${rows})`,
    )
  )[0];
  if (!row?.max_event_time) return previous;
  return { maxEventTime: String(row.max_event_time), watermark: String(row.watermark) };
}
