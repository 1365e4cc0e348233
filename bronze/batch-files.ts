// Turns a batch of stream entries into one zstd Parquet file per observation date, via DuckDB's COPY from NDJSON.
// The envelope text is not parsed on the fast path: `_stream_id` is spliced in and DuckDB types the columns.
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
const OBSERVED_AT = /"observed_at":"((\d{4}-\d\d-\d\d)T[^"]*)"/;

const COLUMNS = `{${Object.entries(BRONZE_COLUMNS).map(([name, type]) => `${name}: '${type}'`).join(', ')}}`;

interface Line {
  id: string;
  json: string;
  observedAt: string;
}

function splitByDate(entries: StreamEntry[], invalid: InvalidEntry[]): Map<string, Line[]> {
  const byDate = new Map<string, Line[]>();
  for (const entry of entries) {
    const text = entry.text;
    const match = text ? OBSERVED_AT.exec(text) : null;
    if (!text || !match || text[0] !== '{' || text[text.length - 1] !== '}') {
      invalid.push({ id: entry.id, raw: text ?? entry.raw ?? '', reason: text ? 'envelope lacks an ISO-8601 observed_at' : 'stream entry is not an envelope entry' });
      continue;
    }
    const dt = match[2]!;
    let lines = byDate.get(dt);
    if (!lines) byDate.set(dt, (lines = []));
    lines.push({ id: entry.id, json: `${text.slice(0, -1)},"_stream_id":"${entry.id}"}`, observedAt: match[1]! });
  }
  return byDate;
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
    await writeFile(ndjsonPath, `${lines.map((l) => l.json).join('\n')}\n`);
    try {
      await copyToParquet(duck, ndjsonPath, parquetPath);
    } catch (fastPathError) {
      // Slow path: find the lines DuckDB could not read, keep the rest.
      lines = all.filter((line) => {
        try {
          decodeEnvelope(line.json);
          if (Number.isNaN(Date.parse(line.observedAt))) throw new Error(`observed_at "${line.observedAt}" is not a timestamp`);
          return true;
        } catch (error) {
          invalid.push({ id: line.id, raw: line.json, reason: `invalid envelope: ${(error as Error).message}` });
          return false;
        }
      });
      if (lines.length === all.length) throw new TerminalError(`DuckDB cannot write bronze batch ${dt}, yet every envelope looks valid`, { cause: fastPathError });
      if (lines.length === 0) continue;
      await writeFile(ndjsonPath, `${lines.map((l) => l.json).join('\n')}\n`);
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
