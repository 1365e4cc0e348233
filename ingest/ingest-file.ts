// What `pnpm ingest:file` does before collecting: declare the file's source (or check the file against its
// declaration, adding new columns) and put the file in the source's inbox, whole or not at all.
import type { SensitiveFields } from '../core/sensitive.ts';
import { copyFile, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { linkInto, type FileFormat } from './collectors/files/files-collector.ts';
import {
  checkFileSources,
  readFileSources,
  SOURCE_NAME,
  sniffColumns,
  sniffFormat,
  sourceNameOf,
  writeFileSources,
  type FileSourceDeclaration,
} from './file-sources.ts';

export interface DeclareOptions {
  /** The source's name (default: the file's base name, in lower case with `_`). */
  source?: string;
  format?: FileFormat;
  key?: string[];
  time?: string;
  delimiter?: string;
  /** Columns protected before anything is kept, for a new source (an existing one's are edited in its declaration). */
  sensitive?: SensitiveFields;
}

export interface Declared {
  name: string;
  declaration: FileSourceDeclaration;
  /** True when this call declared the source. */
  created: boolean;
  /** Columns of the file its declaration did not have, now added. */
  added: string[];
}

const listed = (values: string[] | undefined) => (values?.length ? values.join(',') : '(none)');

/**
 * Declares the source of `file` in `declarationsFile` if it is new; otherwise checks the file's format and the options
 * against the declaration and adds the file's new columns. Every problem is named with the fix.
 */
export async function declareFileSource(
  file: string,
  options: DeclareOptions,
  declarationsFile: string,
  codeSources: readonly string[],
): Promise<Declared> {
  const name = options.source ?? sourceNameOf(file);
  if (!SOURCE_NAME.test(name))
    throw new ConfigError(
      `--source "${name}": a source name is lower case letters, digits and _ and starts with a letter`,
    );
  if (codeSources.includes(name))
    throw new ConfigError(
      `"${name}" is a source with code (ingest/sources/${name}/); give the file a source of its own with --source <name>`,
    );
  const sources = readFileSources(declarationsFile, codeSources);
  const existing = sources[name];
  const format = options.format ?? existing?.format ?? (await sniffFormat(file));
  if (!format)
    throw new ConfigError(
      `cannot tell the format of ${path.basename(file)} from its name; pass --format csv|ndjson|json|parquet`,
    );
  const delimiter = options.delimiter ?? existing?.csv?.delimiter ?? (/\.tsv$/i.test(file) ? '\t' : ',');
  const csv = format === 'csv' ? { delimiter } : undefined;
  const columns = await sniffColumns(file, format, csv);
  if (existing) {
    const problems: string[] = [];
    if (existing.format !== format)
      problems.push(`it is declared with format ${existing.format}, and this file is read as ${format}`);
    if (options.key && options.key.join() !== existing.key.join())
      problems.push(`it is declared with key ${listed(existing.key)}, not ${listed(options.key)}`);
    if (options.time && options.time !== existing.time)
      problems.push(`it is declared with time column ${existing.time ?? '(none)'}, not ${options.time}`);
    if (options.sensitive && JSON.stringify(options.sensitive) !== JSON.stringify(existing.sensitive ?? {}))
      problems.push(`it is declared with sensitive columns ${JSON.stringify(existing.sensitive ?? {})}`);
    if (problems.length)
      throw new ConfigError(
        `source "${name}": ${problems.join('; ')}. Edit its declaration in ${declarationsFile}, or use another --source`,
      );
    const added = Object.keys(columns).filter((c) => !(c in existing.columns));
    if (!added.length) return { name, declaration: existing, created: false, added };
    const declaration = { ...existing, columns: { ...existing.columns, ...pick(columns, added) } };
    await writeFileSources(declarationsFile, { ...sources, [name]: declaration });
    return { name, declaration, created: false, added };
  }
  const draft = {
    format,
    key: options.key ?? [],
    ...(options.time ? { time: options.time } : {}),
    ...(csv ? { csv } : {}),
    ...(options.sensitive ? { sensitive: options.sensitive } : {}),
    columns,
  };
  const checked = checkFileSources({ ...sources, [name]: draft }, declarationsFile, codeSources);
  await writeFileSources(declarationsFile, checked);
  return { name, declaration: checked[name]!, created: true, added: [] };
}

const pick = (from: Record<string, string>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, from[k]!]));

/**
 * Puts a file in an inbox under its own name (a timestamp first if that name is waiting there): copied to a hidden
 * `.part` name and linked under its final name (never replacing a file), so a collector never reads half a file.
 * `move` links the original itself instead, on the same filesystem.
 */
export async function placeInInbox(file: string, inbox: string, move = false): Promise<string> {
  await mkdir(inbox, { recursive: true });
  if (move) {
    try {
      const target = await linkInto(file, inbox, path.basename(file), false);
      await unlink(file);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
    }
  }
  // Another filesystem: copied whole under a hidden name first, then linked under its own (never replacing a file).
  const part = path.join(inbox, `.${path.basename(file)}.${process.pid}.part`);
  await copyFile(file, part);
  let target: string;
  try {
    target = await linkInto(part, inbox, path.basename(file));
  } finally {
    await unlink(part);
  }
  if (move) await unlink(file);
  return target;
}
