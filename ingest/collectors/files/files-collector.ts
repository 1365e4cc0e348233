// The files collector: reads every file in an inbox folder (CSV, JSON array, NDJSON, Parquet), streamed and never
// whole, yields the records' texts a group at a time, then moves the file to processed/, or to failed/ with a `<name>.reason.txt`.
// A file is moved by a checkpoint, i.e. only once all its records are in the stream.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, mkdtemp, open, readdir, rm, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { DuckSession, sqlString } from '../../../core/duckdb.ts';
import { TerminalError } from '../../../core/errors.ts';
import type { CheckpointCounts, Collected, RawRecord } from '../../source.ts';
import { JsonArraySplitter } from './json-array-splitter.ts';

export const FILE_FORMATS = ['csv', 'json', 'ndjson', 'parquet'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

export interface FilesCollectorOptions {
  inbox: string;
  /** Defaults: `<inbox>/processed` and `<inbox>/failed`. */
  processedDir?: string;
  failedDir?: string;
  csvDelimiter?: string;
  /**
   * A record longer than this (bytes) is not buffered: it is dead-lettered with its first bytes as a preview and where
   * it was. Default 1 MiB, the default of STRATA_MAX_EVENT_BYTES; sources pass `config.maxEventBytes`.
   */
  maxRecordBytes?: number;
  /** Read every file as this format, whatever its extension (file sources declare one). Default: by extension. */
  format?: FileFormat;
  /**
   * Give each record its position (`<first 16 hex of the file's SHA-256>:<row>`), for sources identified by position:
   * the file is hashed in one pass before it is read.
   */
  positions?: boolean;
}

/** Records are handed on in groups of up to this many (one await a group, not a record). */
const RECORDS_PER_YIELD = 512;

/** How much of an oversized record its dead letter keeps. */
const PREVIEW_BYTES = 1024;

const oversized = (file: string, where: string, bytes: number, max: number) =>
  `${path.basename(file)} ${where}: a record of ${bytes} bytes is larger than STRATA_MAX_EVENT_BYTES (${max}); only its first ${PREVIEW_BYTES} bytes are kept; raise the limit if such records are expected`;

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

interface CsvSkip {
  code?: string;
  message: string;
  lines?: number;
  bytes?: number;
  raw?: string;
}

interface CsvRow {
  record: string[];
  raw: string;
  info: { bytes: number; lines: number };
}

/**
 * Rows as JSON objects keyed by the header. A row with fewer or more cells than the header, a row that is not valid
 * UTF-8, and a file that ends inside a quoted field (cut short) are rejected with their text, line and byte offset;
 * the rest of the file goes on.
 */
async function* csvRecords(file: string, delimiter: string, maxBytes: number): AsyncGenerator<RawRecord[]> {
  const name = path.basename(file);
  const parser = createReadStream(file).pipe(
    parseCsv({
      delimiter,
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      // An unbounded field (an unclosed quote) is cut at the limit instead of filling memory.
      max_record_size: maxBytes,
      info: true,
      raw: true,
      // A row csv-parse cannot read (a quote never closed, e.g. a file cut short) is skipped and reported, not fatal.
      skip_records_with_error: true,
    }),
  );
  const skipped: CsvSkip[] = [];
  parser.on('skip', (error) => skipped.push(error));
  let header: string[] | undefined;
  // Each cell's `"name":` prefix (a JSON object's key, escaped once), the first with its opening brace.
  let keys: string[] = [];
  let end = 0; // the byte after the previous row
  let out: RawRecord[] = [];
  try {
    for await (const { record, raw, info } of parser as AsyncIterable<CsvRow>) {
      if (out.length >= RECORDS_PER_YIELD) {
        yield out;
        out = [];
      }
      const decodedWhole = !raw.includes('\uFFFD');
      const start = decodedWhole ? info.bytes - Buffer.byteLength(raw) : end;
      if (skipped.length) out.push(...skippedRows(name, skipped, start));
      end = info.bytes;
      if (!header) {
        header = record;
        // Written directly only when that is the text of the object: names unique, none an array index (which an
        // object orders first).
        const plain = new Set(header).size === header.length && !header.some((h) => /^(0|[1-9]\d*)$/.test(h));
        keys = plain ? header.map((h, i) => `${i === 0 ? '{' : ','}${JSON.stringify(h)}:`) : [];
        continue;
      }
      const ok = record.length === header.length && (decodedWhole || (await isUtf8Range(file, start, end)));
      if (ok && keys.length) {
        // The row as a JSON object keyed by the header, written directly: the text JSON.stringify gives of the object.
        let text = '';
        for (let i = 0; i < record.length; i++) text += keys[i] + JSON.stringify(record[i]);
        out.push({ text: `${text}}` });
        continue;
      }
      if (ok) {
        out.push({ text: JSON.stringify(Object.fromEntries(header.map((h, i) => [h, record[i]]))) });
        continue;
      }
      const text = raw.replace(/\r?\n$/, '');
      const line = info.lines - (text.match(/\n/g)?.length ?? 0);
      const where = `${name} line ${line} (byte ${start})`;
      out.push(
        record.length !== header.length
          ? { text, rejected: `${where}: ${record.length} cells where the header has ${header.length}` }
          : { text, rejected: `${where}: not valid UTF-8` },
      );
    }
  } catch (error) {
    // The rows read before a failure are collected all the same.
    if (out.length) yield out;
    throw error;
  }
  out.push(...skippedRows(name, skipped));
  if (out.length) yield out;
}

/**
 * The rows csv-parse skipped before byte `upTo`, as rejected records in file order. The parser runs ahead of the rows
 * read by at most its buffer, so few wait here.
 */
function* skippedRows(name: string, skipped: CsvSkip[], upTo = Number.POSITIVE_INFINITY): Generator<RawRecord> {
  while (skipped.length && (skipped[0]!.bytes ?? 0) < upTo) {
    const e = skipped.shift()!;
    const why =
      e.code === 'CSV_QUOTE_NOT_CLOSED' ? 'the file ends inside a quoted field (cut short?)' : e.message.split(':')[0];
    yield { text: e.raw ?? '', rejected: `${name} line ${e.lines} (byte ${e.bytes}): ${why}` };
  }
}

/** Whether the file's bytes [start, end) are valid UTF-8 (a row that decoded with U+FFFD may hold that character). */
async function isUtf8Range(file: string, start: number, end: number): Promise<boolean> {
  const handle = await open(file);
  try {
    const bytes = Buffer.alloc(end - start);
    await handle.read(bytes, 0, bytes.length, start);
    return isUtf8(bytes);
  } finally {
    await handle.close();
  }
}

/** Elements as their exact text, each decoded strictly: one that is not UTF-8 is rejected with its position. */
async function* jsonArrayRecords(file: string, maxBytes: number): AsyncGenerator<RawRecord[]> {
  const lenient = new TextDecoder('utf-8');
  const splitter = new JsonArraySplitter(maxBytes, PREVIEW_BYTES);
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    const out: RawRecord[] = [];
    try {
      for (const { bytes, index, at, length } of splitter.push(chunk)) {
        const where = `element ${index} (byte ${at})`;
        if (length !== undefined) {
          out.push({ text: lenient.decode(bytes), rejected: oversized(file, where, length, maxBytes) });
          continue;
        }
        if (isUtf8(bytes)) out.push({ text: bytes.toString('utf8') });
        else
          out.push({
            text: lenient.decode(bytes),
            rejected: `${path.basename(file)} ${where}: not valid UTF-8 (at byte ${at + firstInvalidByte(bytes)} of the file)`,
          });
      }
    } finally {
      // The elements before a malformed one are collected all the same.
      if (out.length) yield out;
    }
  }
  splitter.end();
}

/**
 * Lines as bytes, each decoded strictly: a line that is not UTF-8 is rejected (kept, decoded leniently) with where.
 * Each chunk is scanned once and a line's pieces are joined once, so the time is linear in the file's size; a line
 * past `maxBytes` is not kept whole but rejected with its first bytes.
 */
async function* ndjsonRecords(file: string, maxBytes: number): AsyncGenerator<RawRecord[]> {
  const lenient = new TextDecoder('utf-8');
  let lineNumber = 0;
  let offset = 0; // of the current line's first byte
  let pieces: Buffer[] = [];
  let length = 0; // of the current line so far
  const toRecord = (bytes: Buffer): RawRecord | undefined => {
    const end = bytes.at(-1) === 0x0d ? bytes.length - 1 : bytes.length;
    const line = bytes.subarray(0, end);
    if (isUtf8(line)) {
      const text = line.toString('utf8');
      return text.trim() ? { text } : undefined;
    }
    return {
      text: lenient.decode(line),
      rejected: `${path.basename(file)} line ${lineNumber}: not valid UTF-8 (at byte ${firstInvalidByte(line)} of the line, byte ${offset + firstInvalidByte(line)} of the file)`,
    };
  };
  const endLine = (last: Buffer): RawRecord | undefined => {
    lineNumber++;
    const bytes = length + last.length;
    let record: RawRecord | undefined;
    if (bytes > maxBytes) {
      const preview = lenient.decode(
        Buffer.concat([...pieces, last.subarray(0, PREVIEW_BYTES)]).subarray(0, PREVIEW_BYTES),
      );
      record = { text: preview, rejected: oversized(file, `line ${lineNumber} (byte ${offset})`, bytes, maxBytes) };
    } else record = toRecord(pieces.length ? Buffer.concat([...pieces, last]) : last);
    offset += bytes + 1;
    pieces = [];
    length = 0;
    return record;
  };
  for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
    let from = 0;
    const out: RawRecord[] = [];
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const record = endLine(chunk.subarray(from, nl));
      from = nl + 1;
      if (record) out.push(record);
    }
    if (out.length) yield out;
    const rest = chunk.subarray(from);
    // Past the limit only the preview's bytes are kept; the rest of the line is counted, not held.
    if (length < PREVIEW_BYTES || length + rest.length <= maxBytes) pieces.push(rest);
    length += rest.length;
    if (length > maxBytes && pieces.length > 1) pieces = [Buffer.concat(pieces).subarray(0, PREVIEW_BYTES)];
  }
  if (length) {
    const record = endLine(Buffer.alloc(0));
    if (record) yield [record];
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

/** Rows as JSON objects, streamed from DuckDB chunk by chunk (one pass over the file, bounded memory). */
async function* parquetRecords(file: string): AsyncGenerator<RawRecord[]> {
  const duck = await DuckSession.open({ threads: 1 });
  // DuckDB reads *, ?, [ and { in a path as a glob: such a file is read through a link of a plain name.
  const plain = /[*?[\]{}]/.test(path.basename(file))
    ? path.join(await mkdtemp(path.join(os.tmpdir(), 'strata-parquet-')), 'file.parquet')
    : undefined;
  try {
    if (plain) await link(file, plain).catch(() => copyFile(file, plain));
    // The alias cannot be a column's name: `to_json(t)` of a file with a column t would give that column alone.
    const rows = `select to_json(__strata_row)::varchar from read_parquet(${sqlString(plain ?? file)}, hive_partitioning = false) __strata_row`;
    for await (const texts of duck.streamColumn(rows)) yield texts.map((text) => ({ text: String(text) }));
  } finally {
    duck.close();
    if (plain) await rm(path.dirname(plain), { recursive: true, force: true });
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** What `<name>.report.txt` says beside a processed file. */
const fileReport = (name: string, c: CheckpointCounts) =>
  `${name}: ${c.read} rows read: ${c.published} published, ${c.duplicates} duplicate, ${c.deadLettered} dead-lettered\n`;

/**
 * Gives `source` a name in `dir`, never replacing a file there: its own name, or a timestamp first when that is taken.
 * A hard link claims the name atomically (two movers cannot both get it); across filesystems, an exclusive copy
 * does, unless `copyAcross` is false (then EXDEV is thrown).
 */
export async function linkInto(
  source: string,
  dir: string,
  name = path.basename(source),
  copyAcross = true,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const target = path.join(dir, attempt === 0 ? name : `${Date.now()}-${attempt}-${name}`);
    try {
      await link(source, target);
      return target;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (!copyAcross || (code !== 'EXDEV' && code !== 'EPERM')) throw error;
    }
    try {
      await copyFile(source, target, constants.COPYFILE_EXCL);
      return target;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** Moves a file (or a symbolic link, itself) into `dir` without replacing anything there. */
async function moveInto(file: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = await linkInto(file, dir);
  await unlink(file);
  return target;
}

/** processed/ and failed/ must be real folders: a symbolic link would send the inbox's files anywhere. */
async function refuseLinkedFolder(dir: string, role: string): Promise<void> {
  const info = await lstat(dir).catch(() => undefined);
  if (info?.isSymbolicLink())
    throw new TerminalError(
      `${dir} (where ${role} files go) is a symbolic link; make it a real folder, or set the collector's ${role}Dir to the folder itself`,
    );
}

/** Checks the options up front, then returns the collector. */
export function filesCollector(options: FilesCollectorOptions): () => AsyncGenerator<Collected> {
  if (!options.inbox) throw new TerminalError('filesCollector: inbox (the folder to read) is required');
  const inbox = path.resolve(options.inbox);
  const processed = path.resolve(options.processedDir ?? path.join(inbox, 'processed'));
  const failed = path.resolve(options.failedDir ?? path.join(inbox, 'failed'));
  const delimiter = options.csvDelimiter ?? ',';
  const maxBytes = options.maxRecordBytes ?? 1_048_576;

  return async function* collectFiles(): AsyncGenerator<Collected> {
    await mkdir(inbox, { recursive: true });
    await refuseLinkedFolder(processed, 'processed');
    await refuseLinkedFolder(failed, 'failed');
    const entries = (await readdir(inbox, { withFileTypes: true }))
      .filter((e) => (e.isFile() || e.isSymbolicLink()) && !isInProgress(e.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const entry of entries) {
      const name = entry.name;
      const file = path.join(inbox, name);
      const format = options.format ?? formatOf(name);
      let read = 0;
      // Whatever was collected before this file (other files, another collector of the source) is counted apart.
      yield { checkpoint: async () => {} };
      try {
        // A link could point anywhere on the machine: it is not followed, and goes to failed/ with the reason.
        if (entry.isSymbolicLink())
          throw new Error('a symbolic link, which the inbox does not follow; put the file itself in the inbox');
        if (!format) throw new Error(`unsupported file type; use one of ${Object.keys(EXTENSIONS).join(', ')}`);
        const records =
          format === 'csv'
            ? csvRecords(file, delimiter, maxBytes)
            : format === 'json'
              ? jsonArrayRecords(file, maxBytes)
              : format === 'ndjson'
                ? ndjsonRecords(file, maxBytes)
                : parquetRecords(file);
        const hash = options.positions ? (await sha256Of(file)).slice(0, 16) : undefined;
        for await (const group of records) {
          if (hash) for (const record of group) record.position = `${hash}:${++read}`;
          else read += group.length;
          yield group;
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
      yield {
        checkpoint: async (counts) => {
          const moved = await moveInto(file, processed);
          await writeFile(`${moved}.report.txt`, fileReport(name, counts));
        },
      };
    }
  };
}
