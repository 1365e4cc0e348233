// Every collector, writer and job run is recorded in the catalog: who, what, rows in/out, errors, duration.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { logLine } from '../../core/log.ts';
import type { Pool } from '../../core/postgres.ts';

export const RUN_STATUSES = ['running', 'succeeded', 'failed'] as const;

/** Every kind of run the pipeline records. */
export const RUN_KINDS = [
  'collect',
  'bronze',
  'job:silver',
  'job:gold',
  'load',
  'stream',
  'compact',
  'replay',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/**
 * What every pipeline step returns (collection, bronze, a table run, a PostgreSQL load) and the catalog records of
 * it: one shape, each step adding its own counters beside these fields.
 */
export interface StepResult {
  /** The run's kind in the catalog: collect, bronze, job:silver, job:gold or load. */
  kind: string;
  /** The source or table the step ran for. */
  target: string;
  /** Its run in the catalog (none for a table that was up to date or skipped). */
  runId?: string;
  status: 'succeeded' | 'failed' | 'skipped' | 'up to date';
  /** What the step read: records collected, stream entries, input rows, lake rows. */
  rowsIn: number;
  /** What it wrote: new events in the stream, bronze rows, table rows, rows in PostgreSQL. */
  rowsOut: number;
  /** What it set aside with a reason: dead letters (collection, bronze) or quarantined rows (tables). */
  rowsRejected: number;
  durationMillis: number;
  error?: string;
}

/** A finished run as the catalog records it: the step's common fields, its own counters in `details`. */
export interface RunOutcome {
  status: Exclude<RunStatus, 'running'>;
  rowsIn?: number;
  rowsOut?: number;
  rowsRejected?: number;
  error?: string;
  details?: Record<string, unknown>;
}

const COMMON = new Set(['kind', 'target', 'runId', 'status', 'rowsIn', 'rowsOut', 'rowsRejected', 'error']);

/** The run record of a step: its common fields as columns, every other field it carries as details. */
export function outcomeOf(step: StepResult, leaveOut: string[] = []): RunOutcome {
  const details = Object.fromEntries(
    Object.entries(step).filter(([k, v]) => !COMMON.has(k) && !leaveOut.includes(k) && v !== undefined),
  );
  return {
    status: step.status === 'failed' ? 'failed' : 'succeeded',
    rowsIn: step.rowsIn,
    rowsOut: step.rowsOut,
    rowsRejected: step.rowsRejected,
    error: step.error,
    details,
  };
}

/** A run id sorts by time: `<kind>-<ISO time>-<random>`. */
export const newRunId = (kind: string) =>
  `${kind}-${new Date().toISOString().replace(/[:.]/g, '')}-${randomUUID().slice(0, 8)}`;

/** This process, as runs record their owner. */
const OWNER = `${hostname()}:${process.pid}`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}

export class RunLog {
  constructor(private readonly pool: Pool) {}

  /**
   * Records a run as started (now, or at `startedAt` for a run recorded only once it has something to report), owned
   * by this process. Runs of this machine whose process is gone are first marked failed (reapInterrupted).
   */
  async start(kind: string, target: string, runId = newRunId(kind), startedAt?: Date): Promise<string> {
    await this.reapInterrupted();
    await this.pool.query(
      'insert into strata_catalog.runs (run_id, kind, target, started_at, owner) values ($1, $2, $3, coalesce($4, clock_timestamp()), $5)',
      [runId, kind, target, startedAt ?? null, OWNER],
    );
    logLine('info', `${kind} ${target} started`, { runId, target });
    return runId;
  }

  /**
   * Marks failed every run still "running" whose process on this machine has ended (killed, or the machine
   * restarted): it will never finish. Runs of other machines are theirs to reap. Returns how many were marked.
   */
  async reapInterrupted(): Promise<number> {
    const { rows } = await this.pool.query<{ run_id: string; owner: string }>(
      "select run_id, owner from strata_catalog.runs where status = 'running' and owner like $1",
      [`${hostname()}:%`],
    );
    const dead = rows.filter((r) => !isAlive(Number(r.owner.slice(r.owner.lastIndexOf(':') + 1))));
    for (const r of dead)
      await this.pool.query(
        `update strata_catalog.runs set status = 'failed', finished_at = clock_timestamp(), error = $2
          where run_id = $1 and status = 'running'`,
        [r.run_id, `interrupted: its process (${r.owner}) ended before the run finished`],
      );
    for (const r of dead)
      logLine('error', `run ${r.run_id} interrupted: its process (${r.owner}) ended before the run finished`, {
        runId: r.run_id,
      });
    return dead.length;
  }

  /** Updates a long run's counts while it is still running (e.g. `pnpm stream`). */
  async progress(runId: string, outcome: Omit<RunOutcome, 'status'>): Promise<void> {
    await this.pool.query(
      'update strata_catalog.runs set rows_in = $2, rows_out = $3, rows_quarantined = $4, details = $5 where run_id = $1',
      [
        runId,
        outcome.rowsIn ?? null,
        outcome.rowsOut ?? null,
        outcome.rowsRejected ?? null,
        JSON.stringify(outcome.details ?? {}),
      ],
    );
  }

  /** Records a step's result as its run's outcome (the step must carry its runId). */
  async finishStep<S extends StepResult>(step: S, leaveOut?: (keyof S & string)[]): Promise<void> {
    if (!step.runId) throw new Error(`${step.kind} ${step.target}: a step without a run cannot be recorded`);
    await this.finish(step.runId, outcomeOf(step, leaveOut));
  }

  async finish(runId: string, outcome: RunOutcome): Promise<void> {
    const { rows } = await this.pool.query<{ kind: string; target: string }>(
      `update strata_catalog.runs set finished_at = clock_timestamp(), status = $2, rows_in = $3, rows_out = $4, rows_quarantined = $5, error = $6, details = $7
        where run_id = $1 returning kind, target`,
      [
        runId,
        outcome.status,
        outcome.rowsIn ?? null,
        outcome.rowsOut ?? null,
        outcome.rowsRejected ?? null,
        outcome.error ?? null,
        JSON.stringify(outcome.details ?? {}),
      ],
    );
    // The run's outcome in the logs too, where its other lines are (GET /v1/logs?run=).
    const run = rows[0];
    const fields = { runId, target: run?.target };
    const what = `${run?.kind ?? 'run'} ${run?.target ?? runId}`;
    if (outcome.rowsRejected)
      logLine('warn', `${what}: ${outcome.rowsRejected} rows rejected (dead-lettered or quarantined)`, fields);
    if (outcome.status === 'failed') logLine('error', `${what} failed: ${outcome.error ?? 'no reason given'}`, fields);
    else
      logLine('info', `${what} ${outcome.status}: ${outcome.rowsIn ?? 0} rows in, ${outcome.rowsOut ?? 0} out`, fields);
  }
}
