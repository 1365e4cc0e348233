// `pnpm sources`: the sources found in ingest/sources/, and with --settings the variables each one reads.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';

const { values } = parseCommand({
  usage: 'pnpm sources [--settings]',
  summary:
    'Lists the sources discovered in ingest/sources/<name>/ (a folder with a source.ts) and the file sources declared in\n' +
    'STRATA_FILE_SOURCES (`pnpm ingest:file`): what each collects, when the\n' +
    'scheduler runs it, and whether it has a fixture. With --settings, the variables each source reads\n' +
    '(STRATA_SOURCE_<NAME>_<SETTING>), their defaults, and their values here.',
  options: { settings: { type: 'boolean', description: 'List every source setting, its default and its value here' } },
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config, envOf } = await import('../core/config.ts');
const { SOURCES, sourcesWithFixtures } = await import('../ingest/sources/index.ts');

runMain(async () => {
  const sources = Object.values(SOURCES);
  if (!values.settings) {
    const withFixtures = new Set(sourcesWithFixtures());
    console.log(
      formatTable(
        ['source', 'schedule', 'streamed', 'fixture', 'what it collects'],
        sources.map((s) => [
          s.name,
          s.schedule,
          s.streamEveryMillis ? `every ${s.streamEveryMillis} ms` : '-',
          withFixtures.has(s.name) ? 'yes' : '-',
          s.description,
        ]),
      ),
    );
    return 0;
  }
  const env = envOf(config());
  const rows = sources.flatMap((s) => {
    const current = (s.settings?.read(env) ?? {}) as Record<string, unknown>;
    return (s.settings?.list() ?? []).map((setting) => [
      setting.name,
      setting.defaultValue ?? '(none)',
      current[setting.key] === undefined ? '(unset)' : String(current[setting.key]),
      [setting.description, setting.legacy ? `(was ${setting.legacy})` : ''].filter(Boolean).join(' '),
    ]);
  });
  console.log(formatTable(['variable', 'default', 'value here', 'what it is for'], rows));
  return 0;
});
