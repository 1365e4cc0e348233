// The streaming mode's supervisor (`pnpm stream`). In one process: the collectors of the sources the streaming tables
// read (each every `streamEveryMillis`), their bronze writers (a flush at least every second), and the streaming tables
// in micro-batches of the new bronze files, each gold change applied to PostgreSQL at once (listeners are notified, so
// the dashboard's live pages redraw). Runs until its signal aborts; killed, it resumes where the catalog says it was.
import { hostname } from 'node:os';
import { BronzeWriter } from '../bronze/bronze-writer.ts';
import { TerminalError } from '../core/errors.ts';
import { backoffMillis, Nap, sleep } from '../core/retry.ts';
import { servesCurrentRows, streamingGoldLoader } from '../gold/gold-job.ts';
import { loadGoldTable } from '../gold/loader/postgres-loader.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import { acquireStreamLock, type StreamLock } from '../jobs/job-lock.ts';
import { StreamingTables } from '../jobs/micro-batch.ts';
import { quarantineRef } from '../jobs/quarantine.ts';
import { keyOf } from '../jobs/registry.ts';
import { AutoCompactor } from '../lake/auto-compact.ts';
import { bronzeTablesOf } from '../lake/bronze-schema.ts';
import type { Runtime } from '../lake/runtime.ts';
import { stamp } from '../core/cli.ts';

/** The longest a bronze batch waits for more entries: the stream's promise is a flush at least every second. */
const MAX_FLUSH_MILLIS = 1000;
/** A round runs as soon as bronze commits, and at least this often (bronze files may come from other writers). */
const ROUND_EVERY_MILLIS = 1000;

export interface StreamOptions {
  /** Run the collectors of the streamed sources (false: events reach the streams from elsewhere). */
  collect: boolean;
  /** How often a status line is printed and the run record updated. */
  statusMillis: number;
  /** Stops the stream after the current round. */
  signal: AbortSignal;
  log?: (line: string) => void;
  warn?: (line: string) => void;
}

export interface StreamTotals {
  collected: number;
  bronzeRows: number;
  rounds: number;
  failedRounds: number;
  rowsIn: Record<string, number>;
  rowsOut: Record<string, number>;
  quarantined: Record<string, number>;
  lastRoundMillis: number;
  watermark?: string;
}

const add = (into: Record<string, number>, key: string, n: number) => {
  into[key] = (into[key] ?? 0) + n;
};

/** Runs the streaming mode until the signal aborts; returns what it did. */
export async function runStream(rt: Runtime, options: StreamOptions): Promise<StreamTotals> {
  const log = options.log ?? ((line: string) => console.log(line));
  const warn = options.warn ?? ((line: string) => console.error(line));
  let lock: StreamLock | undefined = await acquireStreamLock(rt, 'stream');
  const tables = await StreamingTables.open(rt);
  const sources = tables.sources;
  const unknown = sources.filter((s) => !SOURCES[s]);
  if (unknown.length)
    throw new TerminalError(`Streaming tables read bronze.${unknown[0]}, which no source in ingest/sources defines`);
  const collected = !options.collect ? [] : sources.map((s) => SOURCES[s]!).filter((s) => s.streamEveryMillis);
  const totals: StreamTotals = {
    collected: 0,
    bronzeRows: 0,
    rounds: 0,
    failedRounds: 0,
    rowsIn: {},
    rowsOut: {},
    quarantined: {},
    lastRoundMillis: 0,
  };
  const runId = await rt.runs.start('stream', tables.tables.map(keyOf).join(', '));

  let stopping = false;
  let dirty = true;
  const nap = new Nap();
  const stop = () => {
    if (!stopping) log(`${stamp()} stopping after the current round…`);
    stopping = true;
    nap.wake();
  };
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop);

  log(
    `${stamp()} stream: ${collected.length ? `collecting ${collected.map((s) => `${s.name} every ${s.streamEveryMillis} ms`).join(', ')}; ` : ''}` +
      `bronze for ${sources.join(', ')}; tables ${tables.tables.map(keyOf).join(' → ')} (Ctrl-C to stop)`,
  );
  await syncServed(rt, tables, log);

  const collectors = collected.map(async (source) => {
    let failing = false;
    while (!stopping) {
      const started = Date.now();
      const r = await runIngest(rt, source, { recordRun: false });
      totals.collected += r.rowsOut;
      if (r.status === 'failed' && !failing)
        warn(`${stamp()} collect ${source.name}: failed — ${r.error} (retrying every ${source.streamEveryMillis} ms)`);
      if (r.status === 'succeeded' && failing) log(`${stamp()} collect ${source.name}: recovered`);
      failing = r.status === 'failed';
      const rest = source.streamEveryMillis! - (Date.now() - started);
      if (rest > 0 && !stopping) await sleep(rest);
    }
  });

  const writers = sources.map(async (source) => {
    let written = 0; // rows of the current drain already counted (onBatch reports the drain's running total)
    const writer = new BronzeWriter(rt, {
      consumer: `stream-${hostname()}`,
      recordRuns: false,
      shouldStop: () => stopping,
      flushIntervalMillis: Math.min(rt.config.bronze.flushIntervalMillis, MAX_FLUSH_MILLIS),
      onBatch: (r) => {
        totals.bronzeRows += r.rowsOut - written;
        written = r.rowsOut;
        dirty = true;
        nap.wake();
      },
    });
    let failures = 0;
    try {
      while (!stopping) {
        written = 0;
        const r = await writer.drain(source, 250);
        if (r.status === 'failed') {
          if (failures === 0)
            warn(`${stamp()} bronze ${source}: failed — ${r.error} (entries wait in Redis; retrying)`);
          failures++;
          await sleep(backoffMillis(failures + 1, 250, 10_000));
        } else {
          if (failures) log(`${stamp()} bronze ${source}: recovered`);
          failures = 0;
        }
      }
    } finally {
      await writer.close();
    }
  });

  // Each round adds files to bronze and to the streaming tables: merged in the background, so a stream that runs for
  // days keeps a bounded number of live files per partition.
  const compactor = new AutoCompactor(rt, {
    tables: () => [...bronzeTablesOf(sources), ...tables.tables.flatMap((t) => [t, quarantineRef(t)])],
    onCompacted: (r) => log(`${stamp()} compacted ${r.table}: ${r.filesBefore} → ${r.filesAfter} files`),
    onError: (table, error) => warn(`${stamp()} compacting ${table} failed: ${error} (retried at the next pass)`),
  });
  const loadChange = streamingGoldLoader(rt);
  const rounds = (async () => {
    let failing = 0;
    while (!stopping) {
      if (!dirty) await nap.sleep(ROUND_EVERY_MILLIS);
      if (stopping) break;
      dirty = false;
      if (!lock?.held()) lock = await acquireStreamLock(rt, 'stream').catch(() => undefined);
      const started = Date.now();
      const results = await tables.runOnce(loadChange);
      // Between rounds, never during one: a round rewrites open window files that compaction would otherwise race.
      await compactor.runIfDue();
      const failed = results.filter((r) => r.status === 'failed');
      if (results.some((r) => r.status === 'succeeded')) totals.rounds++;
      totals.lastRoundMillis = Date.now() - started;
      for (const r of results.filter((x) => x.status === 'succeeded')) {
        add(totals.rowsIn, r.target, r.rowsIn);
        add(totals.rowsOut, r.target, r.rowsOut);
        add(totals.quarantined, r.target, r.rowsRejected);
      }
      if (failed.length) {
        totals.failedRounds++;
        if (failing === 0) {
          for (const r of failed)
            warn(`${stamp()} round: ${r.target} failed — ${r.error} (nothing of it committed; retrying)`);
          await rt.runs
            .start('stream', failed.map((r) => r.target).join(', '))
            .then((id) =>
              rt.runs.finish(id, { status: 'failed', error: failed.map((r) => `${r.target}: ${r.error}`).join('\n') }),
            )
            .catch(() => {});
        }
        failing++;
        dirty = true;
        await nap.sleep(backoffMillis(failing + 1, 250, 10_000));
        await syncServed(rt, tables, log).catch(() => {});
      } else if (failing) {
        log(`${stamp()} round: recovered after ${failing} failed round(s)`);
        failing = 0;
      }
    }
  })();

  const status = setInterval(() => {
    log(
      `${stamp()} stream: ${totals.collected.toLocaleString('en-US')} collected, ${totals.bronzeRows.toLocaleString('en-US')} to bronze, ${totals.rounds} rounds` +
        `${totals.failedRounds ? ` (${totals.failedRounds} failed)` : ''}, last ${totals.lastRoundMillis} ms; ` +
        Object.entries(totals.rowsOut)
          .map(
            ([t, n]) =>
              `${t} +${n.toLocaleString('en-US')}${totals.quarantined[t] ? ` (${totals.quarantined[t]} quarantined)` : ''}`,
          )
          .join(', '),
    );
    void rt.runs
      .progress(runId, { rowsIn: totals.collected, rowsOut: totals.bronzeRows, details: { ...totals } })
      .catch(() => {});
  }, options.statusMillis);

  try {
    await Promise.all([...collectors, ...writers, rounds]);
  } finally {
    clearInterval(status);
    await compactor.close();
    tables.close();
    await lock?.release();
  }
  await rt.runs.finish(runId, {
    status: 'succeeded',
    rowsIn: totals.collected,
    rowsOut: totals.bronzeRows,
    details: { ...totals },
  });
  log(
    `${stamp()} stream stopped: ${totals.collected} collected, ${totals.bronzeRows} to bronze, ${totals.rounds} rounds`,
  );
  return totals;
}

/** Loads each streaming gold table PostgreSQL does not serve at its current lake snapshot (after a crash or an outage). */
async function syncServed(rt: Runtime, tables: StreamingTables, log: (line: string) => void): Promise<void> {
  for (const table of tables.tables.filter((t) => t.layer === 'gold')) {
    if (!(await rt.catalog.currentSnapshot(table)) || (await servesCurrentRows(rt, table))) continue;
    const load = await loadGoldTable(rt, tables.duck, table);
    log(
      `${stamp()} load gold.${table.name}: ${load.status}, ${load.rowsOut} rows at snapshot ${load.snapshotId}${load.error ? ` — ${load.error}` : ''}`,
    );
  }
}
