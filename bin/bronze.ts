// `pnpm bronze`: the long-running bronze writer (or `--once` to drain and exit), one loop per source stream.
import { parseCommand, runMain } from '../core/cli.ts';
import { sourceFolders } from '../ingest/sources/folders.ts';

const { values } = parseCommand({
  usage: 'pnpm bronze [--once] [--source <name>] [--consumer <name>]',
  summary:
    'Reads every source stream (or one) in the "bronze" consumer group, writes one zstd Parquet file per batch under\n' +
    'bronze/<source>/ingest_date=YYYY-MM-DD/, commits it in the catalog, acknowledges the entries and trims them out of Redis.\n' +
    "Each source's dead letters go the same way to bronze.<source>__dead_letters. On start it settles entries left\n" +
    'unacknowledged by its previous run or claimed from writers idle past STRATA_BRONZE_CLAIM_IDLE_MILLIS. Runs until\n' +
    'SIGTERM/SIGINT, or with --once until the streams are drained. Several writers (distinct --consumer names) share a stream.',
  options: {
    once: { type: 'boolean', description: 'Drain the streams and exit (exit code 1 if a source failed)' },
    source: {
      type: 'string',
      valueName: 'name',
      description: `Only this source (${sourceFolders().join(', ')}, or a file source)`,
    },
    consumer: {
      type: 'string',
      valueName: 'name',
      description: "This writer's name in the group; restart under the same name to resume its batch",
      default: `bronze-${process.env.HOSTNAME ?? 'local'}`,
    },
  },
  details:
    'Batching: STRATA_BRONZE_MAX_BATCH_ROWS, STRATA_BRONZE_MAX_BATCH_BYTES, STRATA_BRONZE_FLUSH_INTERVAL_MILLIS. Compaction of the\n' +
    'files it adds (in the background, and once after --once): STRATA_COMPACT_MIN_FILES, STRATA_COMPACT_TARGET_MB,\n' +
    'STRATA_COMPACT_INTERVAL_SECONDS (docs/configuration.md).',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { SOURCES } = await import('../ingest/sources/index.ts');
const { config } = await import('../core/config.ts');
const { drainAll, followStreams } = await import('../bronze/bronze-service.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { bronzeSummary } = await import('../pipeline/summary.ts');

runMain(async () => {
  const sources = values.source ? [values.source] : Object.keys(SOURCES);
  const consumer = values.consumer;
  return withRuntime(config(), async (rt) => {
    if (values.once) {
      const results = await drainAll(rt, sources, { consumer });
      console.log(bronzeSummary(results));
      for (const r of results) if (r.error) console.error(`${r.target}: ${r.error}`);
      return results.every((r) => r.status === 'succeeded') ? 0 : 1;
    }
    const stop = new AbortController();
    const stopping = () => {
      if (!stop.signal.aborted) console.log('stopping after the current batch…');
      stop.abort();
    };
    process.once('SIGTERM', stopping);
    process.once('SIGINT', stopping);
    console.log(`bronze writer "${consumer}" following ${sources.join(', ')} (Ctrl-C to stop)`);
    await followStreams(rt, sources, { consumer, signal: stop.signal });
    return 0;
  });
});
