// The files collector: reads every file in an inbox folder (CSV, JSON array, NDJSON, Parquet), streamed and never
// whole, yields each record's text, then moves the file to processed/, or to failed/ with a `<name>.reason.txt`.
// A file is moved by a checkpoint, i.e. only once all its records are in the stream.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { DuckSession, sqlString } from '../../../core/duckdb.ts';
import { TerminalError } from '../../../core/errors.ts';
import type { Collected, RawRecord } from '../../source.ts';
import { JsonArraySplitter } from './json-array-splitter.ts';

export const FILE_FORMATS = ['csv', 'json', 'ndjson', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface FilesCollectorOptions {
  inbox: string;
  /** Defaults: `<inbox>/processed` and `<inbox>/failed`. */
  processedDir?: string;
  failedDir?: string;
  csvDelimiter?: string;
  /** Rows read per query from a Parquet file. */
  parquetPageRows?: number;
}

const EXTENSIONS: Record<string, FileFormat> = {
  '.csv': 'csv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.parquet': 'parquet',
};

/** The format of a file by its extension, or undefined. */
export const formatOf = (name: string): FileFormat | undefined => EXTENSIONS[path.extname(name).toLowerCase()];

/** Files still being written are expected under a dot-name or with a .tmp/.part suffix, and are left alone. */
const isInProgress = (name: string) => name.startsWith('.') || /\.(tmp|part)$/i.test(name);

async function* csvRecords(file: string, delimiter: string): AsyncGenerator<RawRecord> {
  // Rows with missing or extra cells still come through (relax_column_count): the source's parser rejects them into
  // the dead-letter stream with their text, instead of the whole file failing for one row.
  const parser = createReadStream(file).pipe(
    parseCsv({ columns: true, delimiter, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }),
  );
  for await (const row of parser) yield { text: JSON.stringify(row) };
}

async function* jsonArrayRecords(file: string): AsyncGenerator<RawRecord> {
  const splitter = new JsonArraySplitter();
  for await (const chunk of createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })) {
    for (const text of splitter.push(chunk as string)) yield { text };
  }
  splitter.end();
}

/** Lines as bytes, each decoded strictly: a line that is not UTF-8 is rejected (kept, decoded leniently) with where. */
async function* ndjsonRecords(file: string): AsyncGenerator<RawRecord> {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const lenient = new TextDecoder('utf-8');
  let lineNumber = 0;
  const toRecord = (bytes: Buffer): RawRecord | undefined => {
    lineNumber++;
    const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length;
    const line = bytes.subarray(0, end);
    try {
      const text = strict.decode(line);
      return text.trim() ? { text } : undefined;
    } catch {
      return {
        text: lenient.decode(line),
        rejected: `${path.basename(file)} line ${lineNumber}: not valid UTF-8 (at byte ${firstInvalidByte(line)} of the line)`,
      };
    }
  };
  let rest = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
    let data = rest.length ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a)) {
      const record = toRecord(data.subarray(0, nl));
      data = data.subarray(nl + 1);
      if (record) yield record;
    }
    rest = Buffer.from(data);
  }
  if (rest.length) {
    const record = toRecord(rest);
    if (record) yield record;
  }
}

/** Where `bytes` stops being UTF-8: the first byte that does not start, or continue, a well-formed sequence. */
function firstInvalidByte(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i]!;
    const continuations =
      lead < 0x80
        ? 0
        : lead >= 0xc2 && lead <= 0xdf
          ? 1
          : lead >= 0xe0 && lead <= 0xef
            ? 2
            : lead >= 0xf0 && lead <= 0xf4
              ? 3
              : -1;
    if (continuations < 0) return i;
    for (let k = 1; k <= continuations; k++) if ((bytes[i + k] ?? 0) >> 6 !== 0b10) return i;
    i += continuations + 1;
  }
  return bytes.length;
}

async function* parquetRecords(file: string, pageRows: number): AsyncGenerator<RawRecord> {
  const duck = await DuckSession.open({ threads: 1 });
  try {
    for (let offset = 0; ; offset += pageRows) {
      const rows = await duck.all(
        `select to_json(t)::varchar as j from read_parquet(${sqlString(file)}) t limit ${pageRows} offset ${offset}`,
      );
      for (const r of rows) yield { text: r.j as string };
      if (rows.length < pageRows) return;
    }
  } finally {
    duck.close();
  }
}

/** Moves a file into `dir`, adding a timestamp if a file of that name is already there. */
async function moveInto(file: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  let target = path.join(dir, path.basename(file));
  if (
    await stat(target).then(
      () => true,
      () => false,
    )
  )
    target = path.join(dir, `${Date.now()}-${path.basename(file)}`);
  await rename(file, target);
  return target;
}

/** Checks the options up front, then returns the collector. */
export function filesCollector(options: FilesCollectorOptions): () => AsyncGenerator<Collected> {
  if (!options.inbox) throw new TerminalError('filesCollector: inbox (the folder to read) is required');
  const inbox = path.resolve(options.inbox);
  const processed = path.resolve(options.processedDir ?? path.join(inbox, 'processed'));
  const failed = path.resolve(options.failedDir ?? path.join(inbox, 'failed'));
  const delimiter = options.csvDelimiter ?? ',';
  const pageRows = options.parquetPageRows ?? 10_000;

  return async function* collectFiles(): AsyncGenerator<Collected> {
    await mkdir(inbox, { recursive: true });
    const entries = (await readdir(inbox, { withFileTypes: true }))
      .filter((e) => e.isFile() && !isInProgress(e.name))
      .map((e) => e.name)
      .sort();
    for (const name of entries) {
      const file = path.join(inbox, name);
      const format = formatOf(name);
      let read = 0;
      try {
        if (!format) throw new Error(`unsupported file type; use one of ${Object.keys(EXTENSIONS).join(', ')}`);
        const records =
          format === 'csv'
            ? csvRecords(file, delimiter)
            : format === 'json'
              ? jsonArrayRecords(file)
              : format === 'ndjson'
                ? ndjsonRecords(file)
                : parquetRecords(file, pageRows);
        for await (const record of records) {
          read++;
          yield record;
        }
      } catch (error) {
        const reason = `${name}: ${(error as Error).message} (after ${read} records, which were collected)`;
        yield {
          checkpoint: async () => {
            const moved = await moveInto(file, failed);
            await writeFile(`${moved}.reason.txt`, `${reason}\n`);
          },
        };
        continue;
      }
      yield { checkpoint: async () => void (await moveInto(file, processed)) };
    }
  };
}
