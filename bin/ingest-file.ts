// `pnpm ingest:file <path>...`: your own files with no code. Declares a file source per file (or checks the file
// against its declaration), puts the file in the source's inbox and collects every row into the source's stream.
import type { SensitiveFields, Sensitivity } from '../core/sensitive.ts';
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import type { FileFormat } from '../ingest/collectors/files/files-collector.ts';

const { values, positionals } = parseCommand({
  usage:
    'pnpm ingest:file <path>... [--source <name>] [--format csv|ndjson|json|parquet] [--key <col,...>] [--time <col>] [--sensitive <col[=encrypt|hash|drop],...>]',
  summary:
    'Collects your own CSV, JSON-array, NDJSON or Parquet files with no code. The first file of a source declares it in\n' +
    'STRATA_FILE_SOURCES (default ingest/file-sources.json: format, key and time columns, column types read from the\n' +
    "file); each file is copied into <data dir>/inbox/<source>/ and every row published to the source's stream. Then\n" +
    '`pnpm bronze --once` and `pnpm job:silver` give silver.<source>, typed, with no SQL to write.\n' +
    'Without --key, every row is kept, identical ones too, and the same file dropped again (even renamed) adds nothing.',
  options: {
    source: {
      type: 'string',
      valueName: 'name',
      description: "The source's name (default: each file's base name, e.g. shop_orders for Shop-Orders.csv)",
    },
    format: {
      type: 'string',
      valueName: 'format',
      description: 'csv, ndjson, json (an array) or parquet (default: by extension)',
    },
    key: {
      type: 'string',
      valueName: 'col,...',
      description:
        'Columns identifying a row: repeated keys are merged, the latest winning (default: none, keep every row)',
    },
    time: {
      type: 'string',
      valueName: 'col',
      description: 'The column saying when a row was observed (a time without zone is UTC)',
    },
    delimiter: {
      type: 'string',
      valueName: 'char',
      description: 'CSV: the cell delimiter (default , or a tab for .tsv)',
    },
    sensitive: {
      type: 'string',
      valueName: 'col[=how],...',
      description:
        'Columns protected before anything is kept: encrypt (the default), hash or drop, e.g. email,phone=hash (docs/security.md)',
    },
    move: { type: 'boolean', description: 'Move the files into the inbox instead of copying them' },
  },
  details:
    'Examples:\n  pnpm ingest:file ~/Downloads/flights.parquet\n  pnpm ingest:file exports/*.csv --source shop_orders --key order_id --time ordered_at\n' +
    'More files for a source: drop them in <data dir>/inbox/<source>/ and run `pnpm ingest:run <source>` (or --watch).',
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { FILE_FORMATS } = await import('../ingest/collectors/files/files-collector.ts');
const { fileInbox, fileSource } = await import('../ingest/file-source.ts');
const { declareFileSource, placeInInbox } = await import('../ingest/ingest-file.ts');
const { CODE_SOURCES } = await import('../ingest/sources/index.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { SENSITIVITIES } = await import('../core/sensitive.ts');
const { collectOnce } = await import('../pipeline/collect.ts');
const { ingestSummary } = await import('../pipeline/summary.ts');

const KIB = 1024;

/** A path relative to here when it is below here, else absolute. */
const shown = (file: string) =>
  path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);

/** The report the collector wrote beside a file in processed/ (the newest, if the name was there before). */
async function latestReport(file: string): Promise<string | undefined> {
  const dir = path.join(path.dirname(file), 'processed');
  const suffix = `${path.basename(file)}.report.txt`;
  const names = (await readdir(dir).catch(() => [])).filter((n) => n === suffix || n.endsWith(`-${suffix}`));
  const dated = await Promise.all(names.map(async (n) => ({ n, at: (await stat(path.join(dir, n))).mtimeMs })));
  const newest = dated.sort((a, b) => b.at - a.at)[0];
  return newest && readFile(path.join(dir, newest.n), 'utf8');
}

/** `email,phone=hash` → { email: 'encrypt', phone: 'hash' }. */
function sensitiveOption(text: string): SensitiveFields {
  const fields: Record<string, Sensitivity> = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [column = '', how = 'encrypt'] = item.split('=');
    if (!SENSITIVITIES.includes(how as Sensitivity))
      throw new TerminalError(`--sensitive ${item}: say ${column}=encrypt, ${column}=hash or ${column}=drop`);
    fields[column] = how as Sensitivity;
  }
  return fields;
}

runMain(async () => {
  if (!positionals.length) throw new TerminalError('Name at least one file: pnpm ingest:file <path>...');
  const format = values.format as FileFormat | undefined;
  if (format && !FILE_FORMATS.includes(format))
    throw new TerminalError(`--format ${format}: use one of ${FILE_FORMATS.join(', ')}`);
  const key = values.key
    ?.split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const sensitive = values.sensitive === undefined ? undefined : sensitiveOption(values.sensitive);
  const cfg = config();
  return withRuntime(cfg, async (rt) => {
    // Every file is declared and placed first, then each source is collected once (its whole inbox).
    const placed = new Map<string, { declared: Awaited<ReturnType<typeof declareFileSource>>; files: string[] }>();
    for (const given of positionals) {
      const file = path.resolve(given);
      const declared = await declareFileSource(
        file,
        { source: values.source, format, key, time: values.time, delimiter: values.delimiter, sensitive },
        cfg.fileSources,
        Object.keys(CODE_SOURCES),
      );
      const columns = Object.entries(declared.declaration.columns);
      if (declared.created)
        console.log(
          `declared source ${declared.name} in ${shown(cfg.fileSources)}: ${declared.declaration.format}, ${columns.length} columns (${columns.map(([c, t]) => `${c} ${t}`).join(', ')})`,
        );
      if (declared.added.length) console.log(`${declared.name}: new columns declared: ${declared.added.join(', ')}`);
      const entry = placed.get(declared.name) ?? { declared, files: [] };
      entry.declared = declared;
      entry.files.push(await placeInInbox(file, fileInbox(cfg, declared.name), values.move));
      placed.set(declared.name, entry);
    }
    let failed = false;
    for (const [name, { declared, files }] of placed) {
      let lastLog = Date.now();
      const result = await collectOnce(rt, fileSource(name, declared.declaration), {
        onProgress: (r) => {
          if (Date.now() - lastLog < 5000) return;
          lastLog = Date.now();
          console.log(`  ${name}: ${r.rowsIn} rows read, ${r.rowsOut} published`);
        },
      });
      console.log(ingestSummary(result));
      if (result.error) console.error(`error: ${result.error}`);
      failed ||= result.status !== 'succeeded';
      for (const file of files) {
        const text = await latestReport(file);
        if (text) console.log(text.trimEnd());
      }
      console.log(
        `next: pnpm bronze --once && pnpm job:silver, then pnpm sql -c "select count(*) from silver.${name}"`,
      );
    }
    console.log(`peak memory: ${Math.round(process.resourceUsage().maxRSS / KIB)} MiB`);
    return failed ? 1 : 0;
  });
});
