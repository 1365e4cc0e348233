// Arrow IPC and Parquet exports of a gold table's rows (GET /v1/tables/:name?format=arrow|parquet): each batch the
// cursor hands over becomes a record batch (Arrow, built with apache-arrow) or a row group (Parquet, written with
// hyparquet-writer) and leaves at once, so an export holds one batch in memory whatever its size. Types follow
// PostgreSQL's: integers stay integers, numerics become doubles, timestamps are UTC instants (milliseconds in Arrow).
import {
  Bool,
  DateDay,
  type DataType,
  Float64,
  Int32,
  Int64,
  Field,
  makeData,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  TimestampMillisecond,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';

export interface ExportColumn {
  name: string;
  /** PostgreSQL's name of the type (format_type), e.g. `bigint`, `timestamp with time zone`. */
  type: string;
}

/** How an export's rows become bytes, a batch at a time (the text formats use it too: serving/row-stream.ts). */
export interface BatchEncoder {
  contentType: string;
  /** The file extension of a download (csv, arrow and parquet are files; ndjson a stream). */
  attachment?: string;
  head?(): Uint8Array | undefined;
  batch(rows: readonly Record<string, unknown>[]): Uint8Array;
  end(): Uint8Array;
}

type Kind = 'int' | 'bigint' | 'double' | 'bool' | 'date' | 'timestamp' | 'text';

function kindOf(pgType: string): Kind {
  if (/^(smallint|integer)$/.test(pgType)) return 'int';
  if (pgType === 'bigint') return 'bigint';
  if (/^(real|double precision|numeric)/.test(pgType)) return 'double';
  if (pgType === 'boolean') return 'bool';
  if (pgType === 'date') return 'date';
  if (pgType.startsWith('timestamp')) return 'timestamp';
  return 'text';
}

/** A value in the JS form each writer takes: numbers, bigints, Dates (UTC) or text. */
function jsValueOf(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'int':
    case 'double':
      return Number(value);
    case 'bigint':
      return BigInt(value as number | bigint | string);
    case 'bool':
      return Boolean(value);
    case 'date':
      return value instanceof Date
        ? new Date(Date.UTC(value.getFullYear(), value.getMonth(), value.getDate()))
        : new Date(`${String(value).slice(0, 10)}T00:00:00Z`);
    case 'timestamp':
      return value instanceof Date ? value : new Date(String(value));
    default:
      return typeof value === 'object' && !(value instanceof Date) ? JSON.stringify(value) : String(value);
  }
}

const ARROW: Record<Kind, () => DataType> = {
  int: () => new Int32(),
  bigint: () => new Int64(),
  double: () => new Float64(),
  bool: () => new Bool(),
  date: () => new DateDay(),
  timestamp: () => new TimestampMillisecond('UTC'),
  text: () => new Utf8(),
};

/** Arrow IPC stream format: a schema message, a record batch per batch of rows, an end marker. */
export function arrowEncoder(columns: readonly ExportColumn[]): BatchEncoder {
  const kinds = columns.map((c) => kindOf(c.type));
  // One schema for every batch (every column nullable): the stream carries it once, first.
  const schema = new Schema(columns.map((c, i) => new Field(c.name, ARROW[kinds[i]!](), true)));
  const writer = new RecordBatchStreamWriter();
  return {
    contentType: 'application/vnd.apache.arrow.stream',
    attachment: 'arrows',
    batch(rows) {
      const children = columns.map((c, i) => {
        const vector = vectorFromArray(
          rows.map((r) => jsValueOf(kinds[i]!, r[c.name])),
          schema.fields[i]!.type as never,
        );
        // A batch of a cursor's rows fits one chunk; several would need as many record batches.
        if (vector.data.length !== 1) throw new Error(`column ${c.name}: ${vector.data.length} chunks for one batch`);
        return vector.data[0]!;
      });
      const data = makeData({ type: new Struct(schema.fields), length: rows.length, nullCount: 0, children });
      writer.write(new RecordBatch(schema, data));
      return drain(writer);
    },
    end() {
      writer.finish();
      return drain(writer);
    },
  };
}

/**
 * The bytes the writer has queued since the last call. Its own toUint8Array(true) returns everything since the start
 * (the queue keeps them), which would hold the whole export: the queue is emptied here instead (apache-arrow 21).
 */
function drain(writer: RecordBatchStreamWriter): Uint8Array {
  const queue = (writer as unknown as { _sink: { _values: Uint8Array[] } })._sink._values;
  const chunks = queue.splice(0);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

const PARQUET: Record<Kind, Omit<SchemaElement, 'name'>> = {
  int: { type: 'INT32' },
  bigint: { type: 'INT64' },
  double: { type: 'DOUBLE' },
  bool: { type: 'BOOLEAN' },
  date: { type: 'INT32', converted_type: 'DATE' },
  timestamp: { type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
  text: { type: 'BYTE_ARRAY', converted_type: 'UTF8' },
};

/** A Parquet file (zstd-less: snappy) written a row group per batch; the footer comes last. */
export function parquetEncoder(columns: readonly ExportColumn[]): BatchEncoder {
  const kinds = columns.map((c) => kindOf(c.type));
  const out = new ByteWriter();
  // What was written since the last call leaves; `offset` keeps counting, as the footer's offsets need.
  const take = () => {
    const bytes = new Uint8Array(out.buffer.slice(0, out.index));
    out.index = 0;
    return bytes;
  };
  const schema: SchemaElement[] = [
    { name: 'root', num_children: columns.length },
    ...columns.map((c, i) => ({ name: c.name, repetition_type: 'OPTIONAL' as const, ...PARQUET[kinds[i]!] })),
  ];
  // hyparquet-writer names the SchemaElement of the hyparquet it depends on: the same shape, another copy.
  const writer = new ParquetWriter({ writer: out, schema: schema as never });
  return {
    contentType: 'application/vnd.apache.parquet',
    attachment: 'parquet',
    batch(rows) {
      if (rows.length === 0) return new Uint8Array();
      writer.write({
        columnData: columns.map((c, i) => ({ name: c.name, data: rows.map((r) => jsValueOf(kinds[i]!, r[c.name])) })),
        rowGroupSize: rows.length,
      });
      return take();
    },
    end() {
      writer.finish();
      return take();
    },
  };
}
