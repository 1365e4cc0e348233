// `pnpm ingest:run <source>`: runs one collection of a source into its Redis stream and prints the counts.
import { mkdirSync, watch } from 'node:fs';
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config, envOf } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { Nap, sleep } from '../core/retry.ts';
import { withRuntime } from '../lake/runtime.ts';
import { inlineDrain } from '../bronze/inline-drain.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const BACKPRESSURE_LINES = {
  slowing: (n: number, limit: number) => `slowing down: stream backlog ${n} of ${limit} (the bronze writer is behind)`,
  paused: (n: number, limit: number) => `paused: stream backlog ${n} of ${limit}, waiting for the bronze writer`,
  draining: (n: number, limit: number) =>
    `stream backlog ${n} of ${limit} and no bronze writer running: writing it to bronze in this process`,
  resumed: (n: number) => `resumed: stream backlog ${n}`,
};

const { values, positionals } = parseCommand({
  usage: 'pnpm ingest:run <source> [--base-url <url>] [--watch [--interval-seconds <s>]]',
  summary:
    'Collects one source into its Redis stream, with dedup (Bloom filter + exact check) and a dead-letter stream. At\n' +
    'STRATA_STREAM_MAX_BACKLOG it pauses while a bronze writer catches up, or, when none is running, writes the backlog to\n' +
    `bronze itself, so it always finishes. Sources: ${Object.keys(SOURCES).join(', ')}.`,
  options: {
    'base-url': {
      type: 'string',
      valueName: 'url',
      description: 'Base URL of the source (default: its STRATA_SOURCE_<NAME>_URL; see `pnpm sources --settings`)',
    },
    watch: {
      type: 'boolean',
      description:
        "Keep collecting: as soon as files land in the source's inbox (listings), and every --interval-seconds",
    },
    'interval-seconds': {
      type: 'string',
      valueName: 's',
      description: 'With --watch: the longest wait between collections',
      default: '30',
    },
  },
  allowPositionals: true,
});

runMain(async () => {
  const name = positionals[0];
  const source = name ? SOURCES[name] : undefined;
  if (!source) throw new TerminalError(`Name a source: pnpm ingest:run <${Object.keys(SOURCES).join('|')}>`);
  const cfg = config();
  const intervalMillis = Number(values['interval-seconds']) * 1000;
  if (!(intervalMillis > 0)) throw new TerminalError('--interval-seconds must be a positive number');
  return withRuntime(cfg, async (rt) => {
    const once = async () => {
      const result = await runIngest(rt, source, {
        context: { baseUrl: values['base-url'] },
        drainInline: inlineDrain(rt, source.name),
        onBackpressure: (e) => console.log(BACKPRESSURE_LINES[e.state](e.backlog, e.limit)),
      });
      if (result.drainedInline)
        console.log(`wrote ${result.drainedInline} events to bronze in this process (no bronze writer was running)`);
      console.log(
        formatTable(
          [
            'source',
            'status',
            'seen',
            'new',
            'duplicate',
            'failed (dead-lettered)',
            'bloom false positives',
            'paused',
            'duration',
          ],
          [
            [
              result.source,
              result.status,
              result.collected,
              result.appended,
              result.duplicates,
              result.deadLettered + result.deadLetterDuplicates,
              result.bloomFalsePositives,
              `${result.backpressureMillis} ms`,
              `${result.durationMillis} ms`,
            ],
          ],
        ),
      );
      if (result.error) console.error(`error: ${result.error}`);
      return result;
    };
    if (!values.watch) return (await once()).status === 'succeeded' ? 0 : 1;
    const inbox = source.inbox?.(cfg, envOf(cfg));
    let stopping = false;
    let changed = false;
    const nap = new Nap();
    const stop = () => {
      stopping = true;
      nap.wake();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (inbox) mkdirSync(inbox, { recursive: true });
    // A change seen during a collection is remembered, so the next wait ends at once instead of missing it.
    const watcher = inbox
      ? watch(inbox, () => {
          changed = true;
          nap.wake();
        })
      : undefined;
    console.log(
      `watching ${inbox ? `${inbox} for new files` : source.name} (at most ${intervalMillis / 1000} s between collections; Ctrl-C to stop)`,
    );
    try {
      while (!stopping) {
        changed = false;
        await once();
        if (stopping || changed) continue;
        await nap.sleep(intervalMillis);
        await sleep(200); // let a file that is being copied in settle
      }
    } finally {
      watcher?.close();
    }
    return 0;
  });
});
