// The files collector: reads every file in an inbox folder (CSV, JSON array, NDJSON, Parquet), streamed and never
// whole, yields the records' texts a group at a time, then moves the file to processed/, or to failed/ with a `<name>.reason.txt`.
// A file is moved by a checkpoint, i.e. only once all its records are in the stream.
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { copyFile, link, lstat, mkdir, mkdtemp, open, readdir, rm, stat, unlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse';
import { DuckSession, sqlString } from '../../../core/duckdb.ts';
import { TerminalError } from '../../../core/errors.ts';
import { projectWorker } from '../../../core/modules.ts';
import type { CheckpointCounts, Collected, RawRecord } from '../../source.ts';
import { AsyncQueue } from '../async-queue.ts';
import { CsvScanner, type ScannedRow, type ScanStop } from './csv-scanner.ts';
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
  /** Files of this many bytes or more are parsed on a worker thread. Default 4 MiB. */
  workerFromBytes?: number;
}

/** Decodes bytes that may not be UTF-8, with U+FFFD for what is not: the text a dead letter keeps of them. */
const lenientUtf8 = new TextDecoder('utf-8');

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

/** A CSV file's header, and each cell's `"name":` prefix (a JSON object's key, escaped once; none when unusable). */
class CsvRows {
  header?: string[];
  private keys: string[] = [];

  constructor(private readonly name: string) {}

  /** Takes a row: the header first, then each row as a record, or a rejected one saying where and why. */
  take(cells: string[], utf8: boolean, where: () => string, text: () => string): RawRecord | undefined {
    const header = this.header;
    if (!header) {
      this.header = cells;
      // Written directly only when that is the text of the object: names unique, none an array index (which an
      // object orders first).
      const plain = new Set(cells).size === cells.length && !cells.some((h) => /^(0|[1-9]\d*)$/.test(h));
      this.keys = plain ? cells.map((h, i) => `${i === 0 ? '{' : ','}${JSON.stringify(h)}:`) : [];
      return undefined;
    }
    if (cells.length === header.length && utf8) {
      if (!this.keys.length) return { text: JSON.stringify(Object.fromEntries(header.map((h, i) => [h, cells[i]]))) };
      // The row as a JSON object keyed by the header, written directly: the text JSON.stringify gives of the object.
      let json = '';
      for (let i = 0; i < cells.length; i++) json += this.keys[i] + JSON.stringify(cells[i]);
      return { text: `${json}}` };
    }
    const at = `${this.name} line ${where()}`;
    return cells.length !== header.length
      ? { text: text(), rejected: `${at}: ${cells.length} cells where the header has ${header.length}` }
      : { text: text(), rejected: `${at}: not valid UTF-8` };
  }
}

/**
 * Rows as JSON objects keyed by the header. A row with fewer or more cells than the header, a row that is not valid
 * UTF-8, and a file that ends inside a quoted field (cut short) are rejected with their text, line and byte offset;
 * the rest of the file goes on. The common shape of a file is read by CsvScanner; from the first row it does not
 * read, csv-parse reads the rest.
 */
export async function* csvRecords(
  file: string,
  delimiter: string,
  maxBytes: number,
  /** Off: csv-parse reads the whole file (what the scanner is tested against). */
  scan = true,
): AsyncGenerator<RawRecord[]> {
  const rows = new CsvRows(path.basename(file));
  let from: ScanStop & { lineEnd?: string } = { byte: 0, line: 1 };
  if (scan && CsvScanner.scannable(delimiter)) {
    const scanner = new CsvScanner(delimiter.charCodeAt(0), maxBytes);
    const take = (found: ScannedRow[], utf8: boolean): RawRecord[] => {
      const out: RawRecord[] = [];
      for (const { cells, line, start, chunk, from, to } of found) {
        const where = () => `${line} (byte ${start})`;
        const record = rows.take(cells, utf8 || isUtf8(chunk.subarray(from, to)), where, () =>
          lenientUtf8.decode(chunk.subarray(from, to)),
        );
        if (record) out.push(record);
      }
      return out;
    };
    let previousWhole = true;
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 }) as AsyncIterable<Buffer>) {
      // One check a chunk: a row is checked alone only when its chunk, or the one before (which may hold its first
      // bytes), is not valid UTF-8 as a whole.
      const whole = isUtf8(chunk);
      const out = take(scanner.push(chunk), whole && previousWhole);
      previousWhole = whole;
      if (out.length) yield out;
      if (scanner.unusual) break;
    }
    if (!scanner.unusual) {
      const out = take(scanner.push(Buffer.alloc(0), true), false);
      if (out.length) yield out;
    }
    if (!scanner.unusual) return;
    from = { ...scanner.unusual, lineEnd: scanner.lineEnd };
  }
  yield* csvParseRecords(file, delimiter, maxBytes, rows, from);
}

/** csv-parse from a byte and line of the file on (the whole file, or the rest after CsvScanner's first unusual row). */
async function* csvParseRecords(
  file: string,
  delimiter: string,
  maxBytes: number,
  rows: CsvRows,
  /** Where to start, and the file's record delimiter when not from its start (csv-parse finds it in the first line). */
  from: ScanStop & { lineEnd?: string },
): AsyncGenerator<RawRecord[]> {
  const name = path.basename(file);
  const parser = createReadStream(file, { start: from.byte }).pipe(
    parseCsv({
      delimiter,
      bom: from.byte === 0,
      ...(from.lineEnd && { record_delimiter: from.lineEnd }),
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
  parser.on('skip', (error: CsvSkip) =>
    skipped.push({
      code: error.code,
      message: error.message,
      raw: error.raw,
      lines: (error.lines ?? 1) + from.line - 1,
      bytes: (error.bytes ?? 0) + from.byte, // the end of the row before it
    }),
  );
  let end = from.byte; // the byte after the previous row
  // csv-parse's raw text and line count go wrong with CRLF (a raw row lacks its LFs), so a rejected row's place and
  // text are read from the file: from the last place known, counting lines, past the empty lines before the row.
  let known = { byte: from.byte, line: from.line };
  // A row on one line starts after the last LF before its end; one with a newline in a quoted cell, past the empty
  // lines after the row before it (not known after a skipped row: then its start is the skipped row's). The lines
  // before are counted in chunks, so memory holds one row's region, however far the last place known is.
  const place = async (previous: number, rowEnd = previous + 4096, oneLine = false) => {
    const from = Math.max(previous, known.byte);
    let line = known.line + (await newlinesIn(file, known.byte, from));
    const bytes = await readRange(file, from, Math.max(from, rowEnd));
    let last = bytes.length;
    if (bytes[last - 1] === 0x0a) last--;
    if (bytes[last - 1] === 0x0d) last--;
    let at = oneLine ? bytes.lastIndexOf(0x0a, last - 1) + 1 : 0;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    for (; bytes[at] === 0x0a || bytes[at] === 0x0d; at++) if (bytes[at] === 0x0a) line++;
    known = { byte: from + at, line };
    return { start: known.byte, line, text: lenientUtf8.decode(bytes.subarray(at, Math.max(at, last))) };
  };
  // The rows csv-parse skipped (a quote never closed, text after a closing quote) that began before byte `upTo`, as
  // rejected records in file order; csv-parse runs ahead of the rows read by at most its buffer, so few wait here.
  // It gives the end of the row before: the row's own line and byte are found from there, like a rejected row's.
  const skippedRows = async (upTo = Number.POSITIVE_INFINITY): Promise<RawRecord[]> => {
    const rejected: RawRecord[] = [];
    while (skipped.length && (skipped[0]!.bytes ?? 0) < upTo) {
      const e = skipped.shift()!;
      const at = await place(e.bytes ?? known.byte);
      const why =
        e.code === 'CSV_QUOTE_NOT_CLOSED'
          ? 'the file ends inside a quoted field (cut short?)'
          : e.message.split(':')[0];
      // csv-parse's raw text of a CRLF file starts with the previous line's CR: it is not part of the row.
      const text = (e.raw ?? '').replace(/^[\r\n]+/, '');
      // In an LF file csv-parse counts the row's first byte as read already: the row starts a byte earlier when its
      // text does (the byte before a row's true start is a line end, which its text never starts with).
      if (text && at.start > 0) {
        const head = Buffer.from(text).subarray(0, 64);
        if ((await readRange(file, at.start - 1, at.start - 1 + head.length)).equals(head)) known.byte = --at.start;
      }
      rejected.push({ text, rejected: `${name} line ${at.line} (byte ${at.start}): ${why}` });
    }
    return rejected;
  };
  let out: RawRecord[] = [];
  try {
    for await (const { record, raw, info } of parser as AsyncIterable<CsvRow>) {
      if (out.length >= RECORDS_PER_YIELD) {
        yield out;
        out = [];
      }
      const previous = end;
      end = from.byte + info.bytes;
      if (skipped.length) {
        out.push(...(await skippedRows(end)));
      }
      const utf8 = !raw.includes('\uFFFD') || (await isUtf8Range(file, previous, end));
      const bad = rows.header !== undefined && (!utf8 || record.length !== rows.header.length);
      const at = bad ? await place(previous, end, !record.some((cell) => cell.includes('\n'))) : undefined;
      const taken = rows.take(
        record,
        utf8,
        () => `${at!.line} (byte ${at!.start})`,
        () => at!.text,
      );
      if (taken) out.push(taken);
    }
  } catch (error) {
    // The rows read before a failure are collected all the same.
    if (out.length) yield out;
    throw error;
  }
  out.push(...(await skippedRows()));
  if (out.length) yield out;
}

/** Whether the file's bytes [start, end) are valid UTF-8 (a row that decoded with U+FFFD may hold that character). */
async function isUtf8Range(file: string, start: number, end: number): Promise<boolean> {
  return isUtf8(await readRange(file, start, end));
}

/** The file's bytes [start, end), or fewer where the file ends first. */
async function readRange(file: string, start: number, end: number): Promise<Buffer> {
  const handle = await open(file);
  try {
    const bytes = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(bytes, 0, bytes.length, start);
    return bytes.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** How many LFs the file's bytes [start, end) hold, read a MiB at a time. */
async function newlinesIn(file: string, start: number, end: number): Promise<number> {
  if (end <= start) return 0;
  let count = 0;
  for await (const chunk of createReadStream(file, {
    start,
    end: end - 1,
    highWaterMark: 1024 * 1024,
  }) as AsyncIterable<Buffer>)
    for (let at = chunk.indexOf(0x0a); at >= 0; at = chunk.indexOf(0x0a, at + 1)) count++;
  return count;
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

/** What to read of a file: enough for fileRecords, here or on a worker thread. */
export interface FileReading {
  format: FileFormat;
  file: string;
  delimiter: string;
  maxBytes: number;
}

/** A file's records, by its format, in groups, read on this thread. */
export function fileRecords({ format, file, delimiter, maxBytes }: FileReading): AsyncGenerator<RawRecord[]> {
  if (format === 'csv') return csvRecords(file, delimiter, maxBytes);
  if (format === 'json') return jsonArrayRecords(file, maxBytes);
  if (format === 'ndjson') return ndjsonRecords(file, maxBytes);
  return parquetRecords(file);
}

/** Files from this size on are parsed on a worker thread (below it, starting one costs more than it saves). */
const WORKER_FROM_BYTES = 4 * 1024 * 1024;

/** Groups a worker may send ahead of the one being taken: what bounds the memory it fills. */
const WORKER_READ_AHEAD = 4;

/** How many files this process parsed on a worker thread. */
export const readerThreads = { started: 0 };

/** A worker's message: a group of records, the end, or why it stopped. */
export type ReaderMessage = { group: RawRecord[] } | { done: true } | { error: string };

/**
 * fileRecords on a worker thread: the collector's thread, which hashes, encodes and sends every record, no longer
 * parses them too (`pnpm bench:files`, docs/benchmarks.md). Groups come on credit: the worker sends one more each
 * time one is taken, so at most WORKER_READ_AHEAD wait. An error in the worker ends the reading here with its message.
 */
async function* recordsInWorker(reading: FileReading): AsyncGenerator<RawRecord[]> {
  const worker = projectWorker(import.meta.url, './file-reader', {
    workerData: { reading, readAhead: WORKER_READ_AHEAD },
  });
  readerThreads.started++;
  // Credits keep at most WORKER_READ_AHEAD groups waiting: a push never waits for room.
  const groups = new AsyncQueue<RawRecord[]>(WORKER_READ_AHEAD + 1);
  worker.on('message', (message: ReaderMessage) => {
    if ('group' in message) void groups.push(message.group);
    else groups.close('error' in message ? new Error(message.error) : undefined);
  });
  worker.on('error', (error) => groups.close(new Error(error.message)));
  // After `done` this changes nothing; before it, the worker died (out of memory, killed).
  worker.on('exit', (code) => groups.close(new Error(`the reader thread stopped with exit code ${code}`)));
  try {
    for await (const group of groups) {
      worker.postMessage('more');
      yield group;
    }
  } finally {
    worker.removeAllListeners();
    await worker.terminate();
  }
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
  const workerFrom = options.workerFromBytes ?? WORKER_FROM_BYTES;

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
        const reading = { format, file, delimiter, maxBytes };
        // Parquet is parsed by DuckDB on threads of its own already.
        const records =
          format !== 'parquet' && (await stat(file)).size >= workerFrom
            ? recordsInWorker(reading)
            : fileRecords(reading);
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
