// Streams a query's rows as CSV or NDJSON: PostgreSQL hands them over in batches through a server-side cursor and the
// response pulls the next batch only when the client has taken the last one, so an export never sits in memory.
import QueryStream from 'pg-query-stream';
import type { Pool } from '../core/postgres.ts';
import { classifyPgError } from '../core/postgres.ts';
import { publicRow, type TableQuery } from './table-query.ts';

const BATCH_ROWS = 1000;

/**
 * Opens the query and waits for its first row (so a bad filter value still answers 400, not a broken stream), then
 * returns the streamed response.
 */
export async function streamRows(pool: Pool, query: TableQuery): Promise<Response> {
  const client = await pool.connect().catch((e: unknown) => Promise.reject(classifyPgError(e)));
  const stream = client.query(new QueryStream(query.sql, query.values, { batchSize: BATCH_ROWS }));
  let released = false;
  const release = (broken: boolean) => {
    if (released) return;
    released = true;
    client.release(broken);
  };
  const rows = stream[Symbol.asyncIterator]() as AsyncIterator<Record<string, unknown>>;
  let first: IteratorResult<Record<string, unknown>>;
  try {
    first = await rows.next();
  } catch (error) {
    release(true);
    throw error;
  }
  const encode = query.format === 'csv' ? csvLine : (row: Record<string, unknown>) => `${JSON.stringify(row)}\n`;
  const encoder = new TextEncoder();
  let pending: IteratorResult<Record<string, unknown>> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (query.format === 'csv')
        controller.enqueue(encoder.encode(csvLine(Object.fromEntries(query.fields.map((f) => [f, f])))));
    },
    async pull(controller) {
      try {
        // Up to one batch a pull: small enough to stay bounded, large enough that a chunk is not one row.
        let text = '';
        for (let i = 0; i < BATCH_ROWS; i++) {
          const next = pending ?? (await rows.next());
          pending = undefined;
          if (next.done) {
            if (text) controller.enqueue(encoder.encode(text));
            controller.close();
            release(false);
            return;
          }
          text += encode(publicRow(query, next.value));
        }
        controller.enqueue(encoder.encode(text));
      } catch (error) {
        // Headers are sent: the client sees a cut stream, so the reason is logged here rather than lost.
        console.error(`[api] export of ${query.table} (${query.format}) failed mid-stream:`, error);
        release(true);
        controller.error(error);
      }
    },
    cancel() {
      // The client went away mid-export: close the cursor and discard the connection rather than reuse it mid-query.
      stream.destroy();
      release(true);
    },
  });
  const type = query.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
  return new Response(body, {
    headers: {
      'content-type': type,
      ...(query.format === 'csv' ? { 'content-disposition': `attachment; filename="${query.table}.csv"` } : {}),
    },
  });
}

/** One RFC 4180 line: fields quoted when they hold a comma, quote or line break; NULL as an empty field. */
function csvLine(row: Record<string, unknown>): string {
  return `${Object.values(row).map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
