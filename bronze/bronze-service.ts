// The bronze writer as `pnpm bronze` runs it: every source's streams drained once, or followed until a signal, with
// the files it adds compacted in the background once a partition holds STRATA_COMPACT_MIN_FILES small ones.
import { backoffMillis, sleep } from '../core/retry.ts';
import { AutoCompactor } from '../lake/auto-compact.ts';
import { bronzeTablesOf } from '../lake/bronze-schema.ts';
import type { Runtime } from '../lake/runtime.ts';
import type { BronzeResult } from './bronze-result.ts';
import { BronzeWriter, drainSource } from './bronze-writer.ts';
import { stamp } from '../core/cli.ts';

export interface BronzeServiceOptions {
  consumer: string;
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

function compactorFor(rt: Runtime, sources: string[], log: (l: string) => void, warn: (l: string) => void) {
  return new AutoCompactor(rt, {
    tables: () => bronzeTablesOf(sources),
    onCompacted: (r) =>
      log(
        `${stamp()} compacted ${r.table}: ${r.filesBefore} → ${r.filesAfter} files (${r.partitionsCompacted} partitions)`,
      ),
    onError: (table, error) => warn(`${stamp()} compacting ${table} failed: ${error} (retried at the next pass)`),
  });
}

const logOf = (o: BronzeServiceOptions) => o.log ?? ((line: string) => console.log(line));
const warnOf = (o: BronzeServiceOptions) => o.warn ?? ((line: string) => console.error(line));

/** Drains each source's streams once, then compacts what needs it. */
export async function drainAll(rt: Runtime, sources: string[], options: BronzeServiceOptions): Promise<BronzeResult[]> {
  const compactor = compactorFor(rt, sources, logOf(options), warnOf(options));
  const results: BronzeResult[] = [];
  try {
    for (const source of sources) results.push(await drainSource(rt, source, { consumer: options.consumer }));
    await compactor.runOnce();
  } finally {
    await compactor.close();
  }
  return results;
}

/** One line per drain that did something. */
export const bronzeLine = (r: BronzeResult) =>
  `${stamp()} bronze ${r.target}: ${r.status}, ${r.rowsIn} read, ${r.rowsOut} rows in ${r.filesWritten} files` +
  `${r.skippedCommitted ? `, ${r.skippedCommitted} already committed` : ''}${r.claimed ? `, ${r.claimed} claimed` : ''}` +
  `${r.rowsRejected ? `, ${r.rowsRejected} dead-lettered` : ''}${r.deadLettersWritten ? `, ${r.deadLettersWritten} dead letters to the lake` : ''}` +
  `, ${r.durationMillis} ms${r.error ? ` — ${r.error}` : ''}`;

/** Follows every source's streams until the signal aborts; a failed drain is retried with growing pauses. */
export async function followStreams(
  rt: Runtime,
  sources: string[],
  options: BronzeServiceOptions & { signal: AbortSignal },
): Promise<void> {
  const log = logOf(options);
  const compactor = compactorFor(rt, sources, log, warnOf(options));
  const stopping = () => options.signal.aborted;
  try {
    await Promise.all(
      sources.map(async (source) => {
        const writer = new BronzeWriter(rt, { consumer: options.consumer, shouldStop: stopping });
        let failures = 0;
        try {
          while (!stopping()) {
            const result = await writer.drain(source, 1000);
            if (result.rowsIn + result.deadLettersRead > 0 || result.status === 'failed') log(bronzeLine(result));
            compactor.poke();
            // Redis, S3 or PostgreSQL away: pending entries wait in Redis while the pauses grow.
            failures = result.status === 'failed' ? failures + 1 : 0;
            if (failures) await sleep(backoffMillis(failures + 1, 500, 30_000));
          }
        } finally {
          await writer.close();
        }
      }),
    );
  } finally {
    await compactor.close();
  }
}
