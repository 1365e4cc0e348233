// `pnpm new:source <name> --kind files|http|web|database`: a working source and its silver table, with their tests.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import { SOURCE_KINDS, type SourceKind } from '../pipeline/scaffold/source-files.ts';

const { values, positionals } = parseCommand({
  usage: `pnpm new:source <name> --kind ${SOURCE_KINDS.join('|')}`,
  summary:
    'Writes ingest/sources/<name>/ (settings, collector, parser, a sample fixture, a test) and silver/tables/<name>/\n' +
    '(typed, merged by id, a quarantine rule, a table test). Both run as generated: `pnpm test:tables --select <name>+`\n' +
    'and `pnpm test ingest/sources/<name>`. Then point the collector at your data and change the SQL and the tests.',
  options: {
    kind: {
      type: 'string',
      valueName: 'kind',
      description: `How it collects: ${SOURCE_KINDS.join(', ')}`,
      default: 'http',
    },
  },
  details:
    'Kinds: files (CSV/JSON/NDJSON/Parquet dropped in STRATA_SOURCE_<NAME>_INBOX), http (a JSON API), web (HTML\n' +
    'pages read with Cheerio), database (a PostgreSQL table read incrementally by updated_at).\n' +
    'Example:\n  pnpm new:source shop_orders --kind files',
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { scaffoldSource } = await import('../pipeline/scaffold/scaffold-source.ts');

runMain(async () => {
  const name = positionals[0];
  if (!name) throw new TerminalError('Name the source: pnpm new:source <name> --kind <kind>');
  const files = scaffoldSource(name, values.kind as SourceKind);
  console.log(`wrote ${files.length} files:\n${files.map((f) => `  ${f}`).join('\n')}`);
  console.log(
    `\nnext:\n  pnpm test:tables --select ${name}+\n  pnpm test ingest/sources/${name}\n  pnpm sources --settings`,
  );
  return 0;
});
