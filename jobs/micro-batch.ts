// The streaming tables (`streaming: true`) run as micro-batches: each round plans every streaming table in dependency
// order and runs those with new input files, exactly as an incremental job would (the same plans, write modes and
// commits), in one long-lived DuckDB session and without a run record per round. A round that fails commits nothing
// for the failing table; the next round reads the same files again.
import { refOf } from '../lake/catalog/catalog.ts';
import { newRunId } from '../lake/catalog/runs.ts';
import type { DuckSession } from '../core/duckdb.ts';
import { describeError, TerminalError } from '../core/errors.ts';
import { failpoint } from '../core/failpoints.ts';
import type { Runtime } from '../lake/runtime.ts';
import { failedInputOf, planOne } from './job-runner.ts';
import { openJobSession } from './job-session.ts';
import { keyOf, loadAllTables } from './registry.ts';
import { emptyResult, type TableDefinition, type TableRunResult } from './table-spec.ts';
import { runTable } from './table-runner.ts';

/** Called after a table's micro-batch committed (e.g. to bring PostgreSQL along); a throw marks the round failed. */
export type OnCommitted = (table: TableDefinition, result: TableRunResult, duck: DuckSession) => Promise<void>;

export class StreamingTables {
  private constructor(
    private readonly rt: Runtime,
    readonly duck: DuckSession,
    /** The streaming tables in dependency order. */
    readonly tables: TableDefinition[],
    private readonly definitions: Map<string, TableDefinition>,
  ) {}

  /** Loads the declared tables (from `root`, default the project) and opens the session micro-batches run in. */
  static async open(rt: Runtime, options: { root?: string } = {}): Promise<StreamingTables> {
    const all = await loadAllTables(options.root);
    const tables = all.filter((t) => t.streaming && t.writeMode !== 'view');
    if (tables.length === 0)
      throw new TerminalError('No table is declared with `streaming: true`; see docs/streaming.md');
    const duck = await openJobSession(rt.config, { preserveInsertionOrder: false });
    return new StreamingTables(rt, duck, tables, new Map(all.map((t) => [keyOf(t), t])));
  }

  /** The bronze sources the streaming tables read (what the stream must collect and write). */
  get sources(): string[] {
    return [
      ...new Set(
        this.tables
          .flatMap((t) => t.from)
          .filter((f) => f.startsWith('bronze.'))
          .map((f) => refOf(f).name),
      ),
    ].sort();
  }

  /** One round: each streaming table with new input runs once. Results of tables that ran (or failed, or were skipped). */
  async runOnce(onCommitted?: OnCommitted): Promise<TableRunResult[]> {
    const results: TableRunResult[] = [];
    for (const table of this.tables) {
      const name = keyOf(table);
      const failedInput = failedInputOf(table, results);
      if (failedInput) {
        results.push(emptyResult(name, 'skipped', `input ${failedInput} did not succeed in this round`));
        continue;
      }
      let result: TableRunResult;
      try {
        const planned = await planOne(this.rt, table, this.definitions, {});
        if (planned.plan.action === 'up to date') continue;
        result = await runTable(
          {
            rt: this.rt,
            duck: this.duck,
            runId: newRunId('stream'),
            definitions: this.definitions,
            ...planned,
            collectChanges: table.layer === 'gold',
          },
          table,
        );
        if (result.status === 'succeeded') {
          failpoint('stream-before-load');
          await onCommitted?.(table, result, this.duck);
        }
      } catch (error) {
        result = emptyResult(name, 'failed', describeError(error));
      }
      results.push(result);
    }
    return results;
  }

  close(): void {
    this.duck.close();
  }
}
