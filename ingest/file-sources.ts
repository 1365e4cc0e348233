// File sources: sources declared, not coded. One JSON file (STRATA_FILE_SOURCES, default ingest/file-sources.json)
// holds each one's format, optional key and time columns, CSV options and column types; `pnpm ingest:file` writes it
// from the first file it is given, and a user may edit it. Decision 0027.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, open, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { DuckSession, sqlString } from '../core/duckdb.ts';
import { ConfigError } from '../core/errors.ts';
import { SENSITIVITIES } from '../core/sensitive.ts';
import { FILE_FORMATS, formatOf, type FileFormat } from './collectors/files/files-collector.ts';

export const SOURCE_NAME = /^[a-z][a-z0-9_]{0,62}$/;

const declarationSchema = z
  .object({
    description: z.string().optional(),
    format: z.enum(FILE_FORMATS),
    /** Columns whose values identify a row: rows are deduplicated and merged by them. None: every row is kept. */
    key: z.array(z.string().min(1)).default([]),
    /** The column that says when a row was observed (its envelope's observed_at). */
    time: z.string().min(1).optional(),
    csv: z
      .object({ delimiter: z.string().length(1).default(',') })
      .strict()
      .optional(),
    /** Columns protected before anything is kept (docs/security.md): encrypt, hash or drop. */
    sensitive: z.record(z.string().min(1), z.enum(SENSITIVITIES)).optional(),
    /** Each column's DuckDB type, in the file's order: what silver.<name> casts the payload's values to. */
    columns: z
      .record(z.string().min(1), z.string().min(1))
      .refine((c) => Object.keys(c).length > 0, 'declare at least one column'),
  })
  .strict();

export type FileSourceDeclaration = z.output<typeof declarationSchema>;
export type FileSources = Record<string, FileSourceDeclaration>;

/** Reads and checks the declarations; a missing file declares nothing. Every problem is listed in one error. */
export function readFileSources(file: string, codeSources: readonly string[] = []): FileSources {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON (${(error as Error).message}); fix it or remove it`);
  }
  return checkFileSources(raw, file, codeSources);
}

export function checkFileSources(raw: unknown, file: string, codeSources: readonly string[] = []): FileSources {
  const problems: string[] = [];
  const sources: FileSources = {};
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new ConfigError(`${file} must hold one JSON object: { "<source>": { "format": …, "columns": … } }`);
  for (const [name, value] of Object.entries(raw)) {
    if (!SOURCE_NAME.test(name))
      problems.push(`"${name}": a source name is lower case letters, digits and _ and starts with a letter`);
    if (codeSources.includes(name))
      problems.push(`"${name}": ingest/sources/${name}/ already defines a source of that name; choose another`);
    const parsed = declarationSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`${[name, ...issue.path].join('.')}: ${issue.message.replace(/^Invalid (input|option): /, '')}`);
      continue;
    }
    const d = parsed.data;
    const columns = Object.keys(d.columns);
    const known = `(columns: ${columns.join(', ')})`;
    for (const k of d.key) if (!columns.includes(k)) problems.push(`${name}.key: "${k}" is not a column ${known}`);
    if (d.time && !columns.includes(d.time)) problems.push(`${name}.time: "${d.time}" is not a column ${known}`);
    for (const column of Object.keys(d.sensitive ?? {})) {
      if (!columns.includes(column)) problems.push(`${name}.sensitive: "${column}" is not a column ${known}`);
      // The key and time become the envelope's natural_key and observed_at, which are never protected.
      else if (d.key.includes(column) || d.time === column)
        problems.push(
          `${name}.sensitive: "${column}" is a key or time column, kept in clear in every envelope; choose another key`,
        );
    }
    if (d.csv && d.format !== 'csv') problems.push(`${name}.csv: CSV options belong to a source of format "csv"`);
    sources[name] = d;
  }
  if (problems.length)
    throw new ConfigError(`Invalid file sources in ${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return sources;
}

/** Writes the declarations whole (a temporary file renamed over the old one, so a reader never sees half). */
export async function writeFileSources(file: string, sources: FileSources): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(sources, null, 2)}\n`);
  await rename(temporary, file);
}

/** A source name from a file's name: `Daily Weather-2024.csv` → `daily_weather_2024`. */
export function sourceNameOf(file: string): string {
  const base = path
    .basename(file)
    .replace(/(\.[a-z0-9]+)+$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  return /^[a-z]/.test(base) ? base.slice(0, 63) : `file_${base}`.slice(0, 63);
}

/** The format of a file: by its extension (the files collector's, and `.tsv`), and for `.json` by its first byte (`[` an array, else one value a line). */
export async function sniffFormat(file: string): Promise<FileFormat | undefined> {
  if (/\.tsv$/i.test(file)) return 'csv';
  const byName = formatOf(file);
  if (byName !== 'json') return byName;
  const handle = await open(file);
  try {
    const head = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    const first = head
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart()[0];
    return first === '[' ? 'json' : 'ndjson';
  } finally {
    await handle.close();
  }
}

/** The DuckDB reader of a file in a format. */
export function readerOf(file: string, format: FileFormat, csv?: { delimiter: string }): string {
  const f = sqlString(file);
  switch (format) {
    case 'csv':
      return `read_csv(${f}, header = true, delim = ${sqlString(csv?.delimiter ?? ',')})`;
    case 'json':
      return `read_json(${f}, format = 'array')`;
    case 'ndjson':
      return `read_json(${f}, format = 'newline_delimited')`;
    case 'parquet':
      return `read_parquet(${f}, hive_partitioning = false)`;
  }
}

/**
 * The file's columns and their types as DuckDB reads them (Parquet's own types; CSV and JSON inferred from a sample,
 * as `read_csv` and `read_json` do). A file DuckDB cannot read fails with DuckDB's reason and the fix.
 */
export async function sniffColumns(
  file: string,
  format: FileFormat,
  csv?: { delimiter: string },
): Promise<Record<string, string>> {
  const duck = await DuckSession.open({ threads: 1 });
  try {
    const rows = await duck.all(`describe select * from ${readerOf(file, format, csv)}`);
    return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]));
  } catch (error) {
    throw new ConfigError(
      `cannot read the columns of ${file} as ${format}: ${(error as Error).message.split('\n')[0]}; pass --format if it is another format, or fix the file`,
    );
  } finally {
    duck.close();
  }
}
