// Compaction by itself: long-running writers (`pnpm bronze`, `pnpm stream`) merge the small files they keep adding,
// as safely with readers as `pnpm lake:compact` (compact.ts), and more: only files every reader of the table has
// consumed, so a job run reading the others is never refused. A partition is merged once it holds
// STRATA_COMPACT_MIN_FILES such files, so the live files of a partition stay bounded however long the writer runs
// (plus what readers have not consumed yet).
import { newRunId } from './catalog/runs.ts';
import { qualifiedName, type TableRef } from './catalog/catalog.ts';
import { CommitConflictError, describeError } from '../core/errors.ts';
import type { Runtime } from './runtime.ts';
import { compactTable, type CompactResult } from './compact.ts';

export interface AutoCompactOptions {
  /** The tables to keep compact (asked at each pass: a writer's tables may appear as it runs). */
  tables: () => TableRef[];
  onCompacted?: (result: CompactResult) => void;
  onError?: (table: string, error: string) => void;
}

export class AutoCompactor {
  private lastPass = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly options: AutoCompactOptions,
  ) {}

  /** Starts a pass in the background when the interval has passed and none is running. */
  poke(): void {
    if (this.running || Date.now() - this.lastPass < this.rt.config.compact.intervalMillis) return;
    this.running = this.pass().finally(() => (this.running = undefined));
  }

  /** A pass now, awaited, when the interval has passed (between the rounds of a stream). */
  async runIfDue(): Promise<void> {
    if (Date.now() - this.lastPass >= this.rt.config.compact.intervalMillis) await this.runOnce();
  }

  /** One pass now, awaited (e.g. at the end of `pnpm bronze --once`). */
  async runOnce(): Promise<void> {
    await this.running;
    this.running = this.pass().finally(() => (this.running = undefined));
    await this.running;
  }

  /** Waits for a pass in progress (a writer stopping lets it commit or give up cleanly). */
  async close(): Promise<void> {
    await this.running;
  }

  private async pass(): Promise<void> {
    this.lastPass = Date.now();
    const { minFiles, targetBytes } = this.rt.config.compact;
    for (const table of this.options.tables()) {
      try {
        // Only files every reader has consumed: a job reading the others meanwhile is never refused.
        const result = await compactTable(this.rt, table, {
          minFiles,
          targetBytes,
          settledOnly: true,
          keepLatestWrite: true,
          dryRun: true,
        });
        if (result.partitionsCompacted === 0) continue;
        const runId = await this.rt.runs.start('compact', qualifiedName(table), newRunId('compact'));
        const done = await compactTable(this.rt, table, {
          minFiles,
          targetBytes,
          settledOnly: true,
          keepLatestWrite: true,
        }).catch(async (error: unknown) => {
          await this.rt.runs.finish(runId, { status: 'failed', error: describeError(error) });
          throw error;
        });
        await this.rt.runs.finish(runId, {
          status: 'succeeded',
          rowsIn: done.rows,
          rowsOut: done.rows,
          details: { ...done },
        });
        this.options.onCompacted?.(done);
      } catch (error) {
        // A reader or writer committed meanwhile: the next pass compacts what is there then.
        if (!(error instanceof CommitConflictError)) this.options.onError?.(qualifiedName(table), describeError(error));
      }
    }
  }
}
