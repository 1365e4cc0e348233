// How a silver or gold table is declared (DESIGN.md contract 6): a definition beside its SQL file.

/** replace: each run rewrites the table from its inputs' current snapshots. (append and merge arrive with incremental runs.) */
export const WRITE_MODES = ['replace'] as const;
export type WriteMode = (typeof WRITE_MODES)[number];

/** What happens to a row that breaks a rule: counted (warn), removed (drop), kept aside with the reason (quarantine), or the run stops (fail). */
export const EXPECTATION_ACTIONS = ['warn', 'drop', 'quarantine', 'fail'] as const;
export type ExpectationAction = (typeof EXPECTATION_ACTIONS)[number];

export interface Expectation {
  /** A SQL boolean over the table's columns; a row passes when it is true (null counts as broken). */
  check: string;
  action: ExpectationAction;
}

export interface TableSpec {
  name: string;
  layer: 'silver' | 'gold';
  description: string;
  /** Inputs as `<layer>.<table>`: the runner orders tables by them and exposes each as a view of its current snapshot. */
  from: string[];
  primaryKey: string[];
  writeMode: WriteMode;
  expectations?: Record<string, Expectation>;
  /** Column descriptions: documentation, and comments on the PostgreSQL table for gold. */
  columns?: Record<string, string>;
}

/** A loaded definition: the spec plus its SQL text. */
export interface TableDefinition extends TableSpec {
  sql: string;
  sqlPath: string;
}

export interface TableRunResult {
  table: string;
  status: 'succeeded' | 'failed' | 'skipped';
  rowsIn: number;
  rowsOut: number;
  rowsQuarantined: number;
  rowsDropped: number;
  /** Rows that broke a `warn` rule, by rule. */
  warnings: Record<string, number>;
  durationMillis: number;
  snapshotId?: number;
  error?: string;
}
