// Turns a batch of stream entries into one zstd Parquet file, via DuckDB's COPY from NDJSON. The envelope bytes are
// not parsed on the fast path: `_stream_id` is spliced in and DuckDB types the columns. The observation dates are read
// off the bytes for the catalog. If DuckDB rejects the batch, each line is checked in JS and the bad ones come back to
// be dead-lettered. A dead-letter stream's entries (already JSON, see stream-reader.ts) take the same path.
import { writeFile } from 'node:fs/promises';
import { BRONZE_COLUMNS, DEAD_LETTER_COLUMNS } from '../lake/bronze-schema.ts';
import { toDateRanges, type DateRange } from '../lake/catalog/date-ranges.ts';
import { sqlString, type DuckSession } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import { decodeEnvelope } from '../streams/envelope.ts';
import type { StreamEntry } from './stream-reader.ts';

/** What a bronze stream holds: collected events (envelopes), or a source's dead letters. */
export type StreamKind = 'events' | 'dead-letters';

export interface LocalBatchFile {
  localPath: string;
  rowCount: number;
  /** Milliseconds spent finding each envelope's time and writing the NDJSON file, and in DuckDB's COPY to Parquet. */
  ndjsonMillis: number;
  copyMillis: number;
  /** Events only: the range and dates of observed_at. */
  observed?: { min: string; max: string; dates: DateRange[] };
}

export interface InvalidEntry {
  id: string;
  raw: string;
  reason: string;
}

// Within a JSON string every quote is escaped, so an unescaped `"observed_at":"` can only be the envelope's own key.
const OBSERVED_KEY = Buffer.from('"observed_at":"');
const ISO_TIME = /^\d{4}-\d\d-\d\dT[^"]*$/;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

const columnsOf = (columns: Record<string, string>) =>
  `{${Object.entries(columns)
    .map(([name, type]) => `${name}: '${type}'`)
    .join(', ')}}`;
const COLUMNS: Record<StreamKind, string> = {
  events: columnsOf(BRONZE_COLUMNS),
  'dead-letters': columnsOf(DEAD_LETTER_COLUMNS),
};

interface Line {
  id: string;
  data: Buffer;
  observedAt: string;
}

/** Finds each envelope's observation time without parsing the JSON; entries without one are invalid. */
function linesOf(entries: StreamEntry[], invalid: InvalidEntry[]): Line[] {
  const lines: Line[] = [];
  for (const entry of entries) {
    const data = entry.data;
    const at = data ? data.indexOf(OBSERVED_KEY) : -1;
    const end = at >= 0 ? data!.indexOf(0x22, at + OBSERVED_KEY.length) : -1;
    const observedAt = end > 0 ? data!.toString('latin1', at + OBSERVED_KEY.length, end) : '';
    if (!data || !ISO_TIME.test(observedAt) || data[0] !== OPEN || data[data.length - 1] !== CLOSE) {
      invalid.push({
        id: entry.id,
        raw: data?.toString('utf8') ?? entry.raw ?? '',
        reason: data ? 'envelope lacks an ISO-8601 observed_at' : 'stream entry is not an envelope entry',
      });
      continue;
    }
    lines.push({ id: entry.id, data, observedAt });
  }
  return lines;
}

/**
 * A writer's NDJSON scratch space, reused batch after batch: a fresh buffer of tens of MB per batch costs more in page
 * faults than the copying itself (measured: 200 ms per 26 MB on first touch).
 */
export class NdjsonScratch {
  private buffer = Buffer.alloc(0);

  /** Each envelope with `,"_stream_id":"<id>"}` in place of its closing brace: copied, not re-encoded. */
  build(lines: Line[]): Buffer {
    let total = 0;
    for (const l of lines) total += l.data.length + l.id.length + 18;
    // Grown with room to spare, never zero-filled: every byte up to `total` is written below.
    if (this.buffer.length < total) this.buffer = Buffer.allocUnsafeSlow(Math.ceil(total * 1.25));
    const out = this.buffer;
    let offset = 0;
    for (const l of lines) {
      // TypedArray#set, not Buffer#copy: several times faster for small buffers on Node 20.
      out.set(l.data.subarray(0, l.data.length - 1), offset);
      offset += l.data.length - 1;
      offset += out.write(',"_stream_id":"', offset, 'latin1');
      offset += out.write(l.id, offset, 'latin1');
      offset += out.write('"}\n', offset, 'latin1');
    }
    return out.subarray(0, offset);
  }
}

async function copyToParquet(
  duck: DuckSession,
  kind: StreamKind,
  ndjsonPath: string,
  parquetPath: string,
): Promise<void> {
  await duck.run(
    `copy (select * from read_json(${sqlString(ndjsonPath)}, format = 'newline_delimited', columns = ${COLUMNS[kind]}))
       to ${sqlString(parquetPath)} (format parquet, compression zstd)`,
  );
}

/** A dead-letter stream's entries are JSON objects the reader built, every one of them a line. */
const deadLetterLines = (entries: StreamEntry[]): Line[] =>
  entries.map((e) => ({ id: e.id, data: e.data!, observedAt: '' }));

/**
 * Writes the batch's valid entries to `<base>.parquet` (no file when none is valid); entries that are not valid
 * envelopes are returned, not written.
 */
export async function writeBatchFile(
  duck: DuckSession,
  scratch: NdjsonScratch,
  kind: StreamKind,
  entries: StreamEntry[],
  base: string,
): Promise<{ file?: LocalBatchFile; invalid: InvalidEntry[] }> {
  const invalid: InvalidEntry[] = [];
  const started = performance.now();
  const all = kind === 'events' ? linesOf(entries, invalid) : deadLetterLines(entries);
  const ndjsonPath = `${base}.ndjson`;
  const parquetPath = `${base}.parquet`;
  let lines = all;
  if (lines.length === 0) return { invalid };
  await writeFile(ndjsonPath, scratch.build(lines));
  const written = performance.now();
  try {
    await copyToParquet(duck, kind, ndjsonPath, parquetPath);
  } catch (fastPathError) {
    if (kind !== 'events') throw fastPathError;
    // Slow path: find the lines DuckDB could not read, keep the rest.
    lines = all.filter((line) => {
      try {
        decodeEnvelope(line.data.toString('utf8'));
        if (Number.isNaN(Date.parse(line.observedAt)))
          throw new Error(`observed_at "${line.observedAt}" is not a timestamp`);
        return true;
      } catch (error) {
        invalid.push({
          id: line.id,
          raw: line.data.toString('utf8'),
          reason: `invalid envelope: ${(error as Error).message}`,
        });
        return false;
      }
    });
    if (lines.length === all.length)
      throw new TerminalError('DuckDB cannot write a bronze batch, yet every envelope looks valid', {
        cause: fastPathError,
      });
    if (lines.length === 0) return { invalid };
    await writeFile(ndjsonPath, scratch.build(lines));
    await copyToParquet(duck, kind, ndjsonPath, parquetPath);
  }
  const timing = { ndjsonMillis: written - started, copyMillis: performance.now() - written };
  if (kind !== 'events') return { file: { localPath: parquetPath, rowCount: lines.length, ...timing }, invalid };
  let min = lines[0]!.observedAt;
  let max = min;
  const dates = new Set<string>();
  for (const l of lines) {
    if (l.observedAt < min) min = l.observedAt;
    if (l.observedAt > max) max = l.observedAt;
    dates.add(l.observedAt.slice(0, 10));
  }
  return {
    file: {
      localPath: parquetPath,
      rowCount: lines.length,
      ...timing,
      observed: { min, max, dates: toDateRanges(dates) },
    },
    invalid,
  };
}
