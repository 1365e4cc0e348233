// `pnpm ingest:run <source>`: runs one collection of a source into its Redis stream and prints the counts.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import { sourceFolders } from '../ingest/sources/folders.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm ingest:run <source> [--base-url <url>] [--watch [--interval-seconds <s>]]',
  summary:
    'Collects one source into its Redis stream, with dedup (Bloom filter + exact check) and a dead-letter stream. At\n' +
    'STRATA_STREAM_MAX_BACKLOG it pauses while a bronze writer catches up, or, when none is running, writes the backlog to\n' +
    `bronze itself, so it always finishes. Sources: ${sourceFolders().join(', ')}, and the files declared by \`pnpm ingest:file\` (see \`pnpm sources\`).`,
  options: {
    'base-url': {
      type: 'string',
      valueName: 'url',
      description: 'Base URL of the source (default: its STRATA_SOURCE_<NAME>_URL; see `pnpm sources --settings`)',
    },
    watch: {
      type: 'boolean',
      description:
        "Keep collecting: as soon as files land in the source's inbox (sources that read one), and every --interval-seconds",
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

// Everything else loads once the arguments are read, so that --help answers at once.
const { SOURCES } = await import('../ingest/sources/index.ts');
const { config } = await import('../core/config.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { collectOnce, watchSource } = await import('../pipeline/collect.ts');
const { ingestSummary } = await import('../pipeline/summary.ts');

runMain(async () => {
  const name = positionals[0];
  const known = Object.keys(SOURCES).join(', ');
  if (!name) throw new TerminalError(`Name a source: pnpm ingest:run <source>; sources: ${known}`);
  const source = SOURCES[name];
  if (!source)
    throw new TerminalError(
      `No source named "${name}" (sources are folders of ingest/sources/, or files declared in STRATA_FILE_SOURCES by \`pnpm ingest:file\`); sources: ${known}`,
    );
  const intervalMillis = Number(values['interval-seconds']) * 1000;
  if (!(intervalMillis > 0)) throw new TerminalError('--interval-seconds must be a positive number');
  const print = (result: Awaited<ReturnType<typeof collectOnce>>) => {
    console.log(ingestSummary(result));
    if (result.error) console.error(`error: ${result.error}`);
  };
  return withRuntime(config(), async (rt) => {
    const baseUrl = values['base-url'];
    if (!values.watch) {
      const result = await collectOnce(rt, source, { baseUrl });
      print(result);
      return result.status === 'succeeded' ? 0 : 1;
    }
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await watchSource(rt, source, { baseUrl, intervalMillis, signal: stop.signal, onRun: print });
    return 0;
  });
});
