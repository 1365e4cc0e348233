// `pnpm ingest:run <source>`: runs one collection of a source into its Redis stream and prints the counts.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { withRuntime } from '../core/runtime.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm ingest:run <source> [--base-url <url>]',
  summary: `Collects one source into its Redis stream, with dedup (Bloom filter + exact check) and a dead-letter stream, pausing\nwhile the stream's backlog is at STRATA_STREAM_MAX_BACKLOG. Sources: ${Object.keys(SOURCES).join(', ')}.`,
  options: { 'base-url': { type: 'string', valueName: 'url', description: 'Base URL of the source (default: WEATHER_API_URL, ODDS_SITE_URL, …)' } },
  allowPositionals: true,
});

runMain(async () => {
  const name = positionals[0];
  const source = name ? SOURCES[name] : undefined;
  if (!source) throw new TerminalError(`Name a source: pnpm ingest:run <${Object.keys(SOURCES).join('|')}>`);
  const cfg = config();
  const result = await withRuntime(cfg, (rt) =>
    runIngest(rt, source, {
      context: { baseUrl: values['base-url'] ?? cfg.sourceUrls[source.name] },
      onBackpressure: (e) => console.log(`${e.state === 'resumed' ? 'resumed' : e.state === 'paused' ? 'paused' : 'slowing down'}: stream backlog ${e.backlog} of ${e.limit} (the bronze writer is behind)`),
    }),
  );
  console.log(formatTable(['source', 'status', 'seen', 'new', 'duplicate', 'failed (dead-lettered)', 'bloom false positives', 'paused', 'duration'], [
    [result.source, result.status, result.collected, result.appended, result.duplicates, result.deadLettered + result.deadLetterDuplicates, result.bloomFalsePositives, `${result.backpressureMillis} ms`, `${result.durationMillis} ms`],
  ]));
  if (result.error) console.error(`error: ${result.error}`);
  return result.status === 'succeeded' ? 0 : 1;
});
