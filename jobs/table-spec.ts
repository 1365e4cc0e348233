// How a silver or gold table is declared (DESIGN.md contract 6): a definition beside its SQL file.
import type { Sensitivity } from '../core/sensitive.ts';
import type { StepResult } from '../lake/catalog/runs.ts';
import type { PlanScope } from './plan.ts';

/**
 * How a run writes what its SQL returns (docs/jobs.md):
 * - append: new rows are added; a row whose primary key is already in the table is skipped.
 * - replace: the table is rebuilt from its inputs; with `partitionBy`, only the partitions its new input touches.
 * - merge: new rows upsert by primary key; where two rows share a key, the one first by `latestBy` wins.
 * - scd2: every version is kept, with valid_from / valid_to / is_current (history of a slowly changing row).
 * - view: no files; a DuckDB view over other tables, defined in every session that reads the lake.
 * - window: tumbling event-time windows aggregated from the SQL's rows; new rows update the windows still open, rows
 *   whose window the watermark has closed go to the quarantine (docs/streaming.md).
 */
export const WRITE_MODES = ['append', 'replace', 'merge', 'scd2', 'view', 'window'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** What happens to a row that breaks a rule: counted (warn), removed (drop), kept aside with the reason (quarantine), or the run stops (fail). */
export const EXPECTATION_ACTIONS = ['warn', 'drop', 'quarantine', 'fail'] as const;
export type ExpectationAction = (typeof EXPECTATION_ACTIONS)[number];

export interface Expectation {
  /** A SQL boolean over the table's columns; a row passes when it is true (null counts as broken). */
  check: string;
  action: ExpectationAction;
}

export interface Scd2Options {
  /** The column whose value starts a version (e.g. the source's updated_at). */
  validFrom: string;
  /** Columns whose change makes a new version (default: every column outside the key and validFrom). */
  trackedColumns?: string[];
}

/**
 * How one output column of a window is computed from the rows, which also says how two partial windows combine:
 * first/last take the value at the earliest/latest event time (and add `<column>_at`, that time), min/max/sum
 * aggregate an expression, count counts rows.
 */
export type WindowMeasure =
  | { first: string }
  | { last: string }
  | { min: string }
  | { max: string }
  | { sum: string }
  | { count: '*' };

export interface WindowSpec {
  /** The event-time column of the SQL's rows (a TIMESTAMPTZ). */
  eventTime: string;
  /** The tumbling window's length, a DuckDB interval: '1 minute', '1 hour'. */
  size: string;
  /** How long after a window's end its rows may still arrive: the watermark is the latest event time seen minus this. */
  lateness: string;
  /** Columns that key a window besides its start (e.g. symbol). */
  groupBy: string[];
  /** The window's values, by output column. */
  measures: Record<string, WindowMeasure>;
}

export interface TableSpec {
  name: string;
  layer: 'silver' | 'gold';
  description: string;
  /** Inputs as `<layer>.<table>`: the runner orders tables by them and exposes each as a view in the SQL. */
  from: string[];
  primaryKey: string[];
  writeMode: WriteMode;
  /**
   * A DATE column of the output; files are written per value. Input files map to it by date (a bronze file by the
   * observation dates the catalog records for it, another table's file by its own partitionBy), which is what lets
   * `--from/--to` and partitioned `replace` rebuild chosen days only.
   */
  partitionBy?: string;
  /** merge/append: SQL ordering that puts the row to keep first among rows sharing a key, e.g. `updated_at desc`. */
  latestBy?: string;
  scd2?: Scd2Options;
  expectations?: Record<string, Expectation>;
  /** Column descriptions: documentation, and comments on the PostgreSQL table for gold. */
  columns?: Record<string, string>;
  /** Values for `{{name}}` placeholders in the SQL, inserted as SQL string literals (tables declared as a family share one SQL file). */
  params?: Record<string, string>;
  /** Gold: extra PostgreSQL indexes for common API filters, each a list of columns. */
  indexes?: string[][];
  /** writeMode "window": the windows, event time and lateness; the output adds period_start and period_end. */
  window?: WindowSpec;
  /**
   * Output columns protected before anything is written (docs/security.md): `encrypt` (strata_encrypt: values already
   * encrypted stay as they are), `hash` (strata_hash, the keyed hash sources use) or `drop`. Gold files and the
   * PostgreSQL tables then hold only ciphertext or hashes; the API masks encrypted values for keys without read:sensitive.
   */
  sensitive?: Record<string, Sensitivity>;
  /**
   * Kept current by `pnpm stream` in micro-batches of new input files. While a stream runs it owns the table, and
   * `pnpm job:*` leaves it alone; without one, the jobs run it like any other table.
   */
  streaming?: boolean;
}

/** A loaded definition: the spec plus its SQL text. */
export interface TableDefinition extends TableSpec {
  sql: string;
  sqlPath: string;
}

export const STATUSES = ['succeeded', 'failed', 'skipped', 'up to date'] as const;

/** A table run: the step's common fields (target `<layer>.<name>`, rowsRejected the rows quarantined), then its own. */
export interface TableRunResult extends StepResult {
  status: (typeof STATUSES)[number];
  /** What the run rebuilt: `all`, the `partitions` of a backfill, or the `new` input folded in (docs/jobs.md). */
  scope?: PlanScope;
  /** Input files read (0 when nothing was new). */
  filesIn: number;
  rowsDropped: number;
  /** Partitions written (partitioned tables). */
  partitions: string[];
  /** Rows that broke a `warn` rule, by rule. */
  warnings: Record<string, number>;
  snapshotId?: number;
  /** Set when a running stream owns the table: the batch job neither ran nor loads it. */
  ownedByStream?: string;
  /** window mode, when asked for: the windows this run changed, as written (what an incremental load upserts). */
  changedRows?: Record<string, unknown>[];
  /** Milliseconds per stage of the run (reading and checking, counting, writing, statistics, commit, quarantine). */
  stages?: Record<string, number>;
  /** The snapshot this run's commit replaced (its parent). */
  baseSnapshotId?: number | null;
}

export const emptyResult = (table: string, status: TableRunResult['status'], error?: string): TableRunResult => ({
  kind: `job:${table.split('.')[0]}`,
  target: table,
  status,
  filesIn: 0,
  rowsIn: 0,
  rowsOut: 0,
  rowsRejected: 0,
  rowsDropped: 0,
  partitions: [],
  warnings: {},
  durationMillis: 0,
  ...(error ? { error } : {}),
});
