// Turns a batch of stream entries into one zstd Parquet file per observation date, via DuckDB's COPY from NDJSON.
// The envelope bytes are not parsed on the fast path: `_stream_id` is spliced in and DuckDB types the columns.
// If DuckDB rejects the batch, each line is checked in JS and the bad ones come back to be dead-lettered.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BRONZE_COLUMNS } from '../core/bronze-schema.ts';
import { sqlString, type DuckSession } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import { decodeEnvelope } from '../core/streams/envelope.ts';
import type { StreamEntry } from './stream-reader.ts';

export interface LocalPartFile {
  dt: string;
  localPath: string;
  rowCount: number;
  minObservedAt: string;
  maxObservedAt: string;
}

export interface InvalidEntry {
  id: string;
  raw: string;
  reason: string;
}

// Within a JSON string every quote is escaped, so an unescaped `"observed_at":"` can only be the envelope's own key.
const OBSERVED_KEY = Buffer.from('"observed_at":"');
const ISO_TIME = /^(\d{4}-\d\d-\d\d)T[^"]*$/;
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

const COLUMNS = `{${Object.entries(BRONZE_COLUMNS).map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;

interface Line {
  id: string;
  data: Buffer;
  observedAt: string;
}

/** Finds each envelope's observation time without parsing the JSON, and groups the entries by date. */
function splitByDate(entries: StreamEntry[], invalid: InvalidEntry[]): Map<string, Line[]> {
  const byDate = new Map<string, Line[]>();
  for (const entry of entries) {
    const data = entry.data;
    const at = data ? data.indexOf(OBSERVED_KEY) : -1;
    const end = at >= 0 ? data!.indexOf(0x22, at + OBSERVED_KEY.length) : -1;
    const observedAt = end > 0 ? data!.toString('latin1', at + OBSERVED_KEY.length, end) : '';
    const match = ISO_TIME.exec(observedAt);
    if (!data || !match || data[0] !== OPEN || data[data.length - 1] !== CLOSE) {
      invalid.push({ id: entry.id, raw: data?.toString('utf8') ?? entry.raw ?? '', reason: data ? 'envelope lacks an ISO-8601 observed_at' : 'stream entry is not an envelope entry' });
      continue;
    }
    const dt = match[1]!;
    let lines = byDate.get(dt);
    if (!lines) byDate.set(dt, (lines = []));
    lines.push({ id: entry.id, data, observedAt });
  }
  return byDate;
}

/** NDJSON bytes: each envelope with `,"_stream_id":"<id>"` spliced in before its closing brace, copied, not re-encoded. */
function ndjson(lines: Line[]): Buffer {
  const suffixes = lines.map((l) => `,"_stream_id":"${l.id}"}\n`);
  const total = lines.reduce((n, l, i) => n + l.data.length - 1 + suffixes[i]!.length, 0);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  lines.forEach((l, i) => {
    offset += l.data.copy(out, offset, 0, l.data.length - 1);
    offset += out.write(suffixes[i]!, offset, 'latin1');
  });
  return out;
}

async function copyToParquet(duck: DuckSession, ndjsonPath: string, parquetPath: string): Promise<void> {
  await duck.run(
    `copy (select * from read_json(${sqlString(ndjsonPath)}, format = 'newline_delimited', columns = ${COLUMNS}))
       to ${sqlString(parquetPath)} (format parquet, compression zstd)`,
  );
}

/** Writes the batch's Parquet files into `dir`; entries that are not valid envelopes are returned, not written. */
export async function writeBatchFiles(duck: DuckSession, entries: StreamEntry[], dir: string): Promise<{ files: LocalPartFile[]; invalid: InvalidEntry[] }> {
  const invalid: InvalidEntry[] = [];
  const files: LocalPartFile[] = [];
  for (const [dt, all] of splitByDate(entries, invalid)) {
    const ndjsonPath = path.join(dir, `${dt}.ndjson`);
    const parquetPath = path.join(dir, `${dt}.parquet`);
    let lines = all;
    await writeFile(ndjsonPath, ndjson(lines));
    try {
      await copyToParquet(duck, ndjsonPath, parquetPath);
    } catch (fastPathError) {
      // Slow path: find the lines DuckDB could not read, keep the rest.
      lines = all.filter((line) => {
        try {
          decodeEnvelope(line.data.toString('utf8'));
          if (Number.isNaN(Date.parse(line.observedAt))) throw new Error(`observed_at "${line.observedAt}" is not a timestamp`);
          return true;
        } catch (error) {
          invalid.push({ id: line.id, raw: line.data.toString('utf8'), reason: `invalid envelope: ${(error as Error).message}` });
          return false;
        }
      });
      if (lines.length === all.length) throw new TerminalError(`DuckDB cannot write bronze batch ${dt}, yet every envelope looks valid`, { cause: fastPathError });
      if (lines.length === 0) continue;
      await writeFile(ndjsonPath, ndjson(lines));
      await copyToParquet(duck, ndjsonPath, parquetPath);
    }
    let min = lines[0]!.observedAt;
    let max = min;
    for (const l of lines) {
      if (l.observedAt < min) min = l.observedAt;
      if (l.observedAt > max) max = l.observedAt;
    }
    files.push({ dt, localPath: parquetPath, rowCount: lines.length, minObservedAt: min, maxObservedAt: max });
  }
  return { files, invalid };
}
