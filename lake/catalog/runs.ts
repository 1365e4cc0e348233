// Every collector, writer and job run is recorded in the catalog: who, what, rows in/out, errors, duration.
import { randomUUID } from 'node:crypto';
import type { Pool } from '../../core/postgres.ts';

export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  rowsIn?: number;
  rowsOut?: number;
  rowsQuarantined?: number;
  error?: string;
  details?: Record<string, unknown>;
}

/** A run id sorts by time: `<kind>-<ISO time>-<random>`. */
export const newRunId = (kind: string) =>
  `${kind}-${new Date().toISOString().replace(/[:.]/g, '')}-${randomUUID().slice(0, 8)}`;

export class RunLog {
  constructor(private readonly pool: Pool) {}

  /** Records a run as started (now, or at `startedAt` for a run recorded only once it has something to report). */
  async start(kind: string, target: string, runId = newRunId(kind), startedAt?: Date): Promise<string> {
    await this.pool.query(
      'insert into strata_catalog.runs (run_id, kind, target, started_at) values ($1, $2, $3, coalesce($4, clock_timestamp()))',
      [runId, kind, target, startedAt ?? null],
    );
    return runId;
  }

  /** Updates a long run's counts while it is still running (e.g. `pnpm stream`). */
  async progress(runId: string, outcome: Omit<RunOutcome, 'status'>): Promise<void> {
    await this.pool.query(
      'update strata_catalog.runs set rows_in = $2, rows_out = $3, rows_quarantined = $4, details = $5 where run_id = $1',
      [
        runId,
        outcome.rowsIn ?? null,
        outcome.rowsOut ?? null,
        outcome.rowsQuarantined ?? null,
        JSON.stringify(outcome.details ?? {}),
      ],
    );
  }

  async finish(runId: string, outcome: RunOutcome): Promise<void> {
    await this.pool.query(
      `update strata_catalog.runs set finished_at = clock_timestamp(), status = $2, rows_in = $3, rows_out = $4, rows_quarantined = $5, error = $6, details = $7
        where run_id = $1`,
      [
        runId,
        outcome.status,
        outcome.rowsIn ?? null,
        outcome.rowsOut ?? null,
        outcome.rowsQuarantined ?? null,
        outcome.error ?? null,
        JSON.stringify(outcome.details ?? {}),
      ],
    );
  }
}
