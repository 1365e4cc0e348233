// `pnpm collect <source>`: runs one source's collector into its Redis stream.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { withRuntime } from '../core/runtime.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm collect <source> [--base-url <url>]',
  summary: `Collects one source into its Redis stream, with dedup and a dead-letter stream. Sources: ${Object.keys(SOURCES).join(', ')}.`,
  options: { 'base-url': { type: 'string', valueName: 'url', description: 'Base URL of the source API (default: WEATHER_API_URL)' } },
  allowPositionals: true,
});

runMain(async () => {
  const name = positionals[0];
  const source = name ? SOURCES[name] : undefined;
  if (!source) throw new TerminalError(`Name a source: pnpm collect <${Object.keys(SOURCES).join('|')}>`);
  const cfg = config();
  const result = await withRuntime(cfg, (rt) => runIngest(rt, source, { context: { baseUrl: values['base-url'] ?? cfg.weatherApiUrl } }));
  console.log(formatTable(['source', 'status', 'collected', 'appended', 'duplicates', 'dead-lettered', 'duration'], [
    [result.source, result.status, result.collected, result.appended, result.duplicates, result.deadLettered, `${result.durationMillis} ms`],
  ]));
  if (result.error) console.error(`error: ${result.error}`);
  return result.status === 'succeeded' ? 0 : 1;
});
