// Collection as the commands run it: one run of a source into its stream (draining to bronze in this process when no
// writer is attached, decision 0021), or runs again and again as files land in the source's inbox and on an interval.
import { mkdirSync, watch } from 'node:fs';
import { envOf } from '../core/config.ts';
import { Nap, sleep } from '../core/retry.ts';
import { inlineDrain } from '../bronze/inline-drain.ts';
import type { BackpressureEvent } from '../streams/backlog.ts';
import { runIngest, type IngestResult } from '../ingest/ingest-runner.ts';
import type { SourceDefinition } from '../ingest/source.ts';
import type { Runtime } from '../lake/runtime.ts';

const BACKPRESSURE_LINES = {
  slowing: (n: number, limit: number) => `slowing down: stream backlog ${n} of ${limit} (the bronze writer is behind)`,
  paused: (n: number, limit: number) => `paused: stream backlog ${n} of ${limit}, waiting for the bronze writer`,
  draining: (n: number, limit: number) =>
    `stream backlog ${n} of ${limit} and no bronze writer running: writing it to bronze in this process`,
  resumed: (n: number) => `resumed: stream backlog ${n}`,
};

export interface CollectOptions {
  /** Collect from here instead of the source's URL setting. */
  baseUrl?: string;
  log?: (line: string) => void;
  /** Told after every published batch (e.g. to print progress through a large file). */
  onProgress?: (result: IngestResult) => void;
}

/** One collection, with backpressure reported and, with no bronze writer alive, the backlog drained in-process. */
export async function collectOnce(rt: Runtime, source: SourceDefinition, options: CollectOptions = {}) {
  const log = options.log ?? ((line: string) => console.log(line));
  const result = await runIngest(rt, source, {
    context: { baseUrl: options.baseUrl },
    drainInline: inlineDrain(rt, source.name),
    onProgress: options.onProgress,
    onBackpressure: (e: BackpressureEvent) => log(BACKPRESSURE_LINES[e.state](e.backlog, e.limit)),
  });
  if (result.drainedInline)
    log(`wrote ${result.drainedInline} events to bronze in this process (no bronze writer was running)`);
  return result;
}

export interface WatchOptions extends CollectOptions {
  intervalMillis: number;
  signal: AbortSignal;
  onRun: (result: IngestResult) => void;
}

/** Collects until the signal aborts: at once when a file lands in the source's inbox, else every interval. */
export async function watchSource(rt: Runtime, source: SourceDefinition, options: WatchOptions): Promise<void> {
  const log = options.log ?? ((line: string) => console.log(line));
  const inbox = source.inbox?.(rt.config, envOf(rt.config));
  let changed = false;
  const nap = new Nap();
  options.signal.addEventListener('abort', () => nap.wake());
  if (inbox) mkdirSync(inbox, { recursive: true });
  // A change seen during a collection is remembered, so the next wait ends at once instead of missing it.
  const watcher = inbox
    ? watch(inbox, () => {
        changed = true;
        nap.wake();
      })
    : undefined;
  const every = `at most ${options.intervalMillis / 1000} s between collections; Ctrl-C to stop`;
  log(`watching ${inbox ? `${inbox} for new files` : source.name} (${every})`);
  try {
    while (!options.signal.aborted) {
      changed = false;
      options.onRun(await collectOnce(rt, source, options));
      if (options.signal.aborted || changed) continue;
      await nap.sleep(options.intervalMillis);
      await sleep(200); // let a file that is being copied in settle
    }
  } finally {
    watcher?.close();
  }
}
