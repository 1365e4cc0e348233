// Streams a query's rows as CSV or NDJSON: PostgreSQL hands them over in batches through a server-side cursor and the
// response pulls the next batch only when the client has taken the last one, so an export never sits in memory.
import type { Context } from 'hono';
import QueryStream from 'pg-query-stream';
import type { Pool, PoolClient } from '../core/postgres.ts';
import { classifyPgError } from '../core/postgres.ts';
import type { ClientSlots } from './client-slots.ts';
import { apiError } from './errors.ts';
import { arrowEncoder, type BatchEncoder, parquetEncoder } from './binary-exports.ts';
import { publicRow, type TableQuery } from './table-query.ts';
import { jsonText, WIRE_TYPES } from './wire-types.ts';

const BATCH_ROWS = 1000;

export interface StreamOptions {
  /** A client that takes nothing for this long loses its export: the cursor closes and its connection goes back. */
  stallMillis: number;
  /** Called once when the export ends, however it ends (its slot is given back here). */
  onEnd?: () => void;
  /** Closes the client's connection when it stalled (the server's response cannot end on its own then). */
  abort?: () => void;
}

/** What streamed exports may hold: their own connections (never the pool other requests use), a slot each. */
export interface ExportBudget {
  pool: Pool;
  slots: ClientSlots;
  stallMillis: number;
  clientOf: (c: Context) => string;
}

/** Starts an export within the budget: 429 past the client's share or when every slot is taken. */
export function startExport(budget: ExportBudget, c: Context, query: TableQuery): Promise<Response> {
  const release = budget.slots.take(budget.clientOf(c));
  if (release === 'client')
    apiError(429, `at most ${budget.slots.perClient} exports at once per client; finish one first`, 'rate_limited', {
      'Retry-After': '5',
    });
  if (release === 'full')
    apiError(429, `all ${budget.slots.total} export slots are in use; retry shortly`, 'exports_busy', {
      'Retry-After': '5',
    });
  const outgoing = (c.env as { outgoing?: { destroy(): void } } | undefined)?.outgoing;
  return streamRows(budget.pool, query, {
    stallMillis: budget.stallMillis,
    onEnd: release,
    abort: () => outgoing?.destroy(),
  });
}

/**
 * Opens the query and waits for its first row (so a bad filter value still answers 400, not a broken stream), then
 * returns the streamed response.
 */
export async function streamRows(pool: Pool, query: TableQuery, options: StreamOptions): Promise<Response> {
  let client: PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    options.onEnd?.();
    throw classifyPgError(error);
  }
  const stream = client.query(new QueryStream(query.sql, query.values, { batchSize: BATCH_ROWS, types: WIRE_TYPES }));
  let released = false;
  let stall: NodeJS.Timeout | undefined;
  const release = (broken: boolean) => {
    clearTimeout(stall);
    if (released) return;
    released = true;
    client.release(broken);
    options.onEnd?.();
  };
  // Armed while the response waits for the client to take what it has: a client that never reads frees its cursor.
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => {
      console.error(
        `[api] export of ${query.table} (${query.format}) stopped: the client took nothing for ${options.stallMillis / 1000} s`,
      );
      stream.destroy();
      release(true);
      options.abort?.();
    }, options.stallMillis);
    stall.unref();
  };
  const rows = stream[Symbol.asyncIterator]() as AsyncIterator<Record<string, unknown>>;
  let first: IteratorResult<Record<string, unknown>>;
  try {
    first = await rows.next();
  } catch (error) {
    release(true);
    throw error;
  }
  const encoder = encoderOf(query);
  let pending: IteratorResult<Record<string, unknown>> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const head = encoder.head?.();
      if (head) controller.enqueue(head);
      armStall();
    },
    async pull(controller) {
      clearTimeout(stall);
      if (released) return controller.error(new Error('the export stalled'));
      try {
        // Up to one batch a pull: small enough to stay bounded, large enough that a chunk is not one row.
        const batch: Record<string, unknown>[] = [];
        let done = false;
        while (batch.length < BATCH_ROWS) {
          const next = pending ?? (await rows.next());
          pending = undefined;
          if (next.done) {
            done = true;
            break;
          }
          batch.push(publicRow(query, next.value));
        }
        const bytes = batch.length ? encoder.batch(batch) : undefined;
        if (bytes?.byteLength) controller.enqueue(bytes);
        if (done) {
          const tail = encoder.end();
          if (tail.byteLength) controller.enqueue(tail);
          controller.close();
          release(false);
          return;
        }
        armStall();
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
  return new Response(body, {
    headers: {
      'content-type': encoder.contentType,
      ...(encoder.attachment
        ? { 'content-disposition': `attachment; filename="${query.table}.${encoder.attachment}"` }
        : {}),
    },
  });
}

/** A line a row for csv and ndjson; a record batch (arrow) or row group (parquet) a batch. */
function encoderOf(query: TableQuery): BatchEncoder {
  const text = new TextEncoder();
  const columns = query.fields.map((name) => ({ name, type: query.types[name]! }));
  switch (query.format) {
    case 'csv':
      return {
        contentType: 'text/csv; charset=utf-8',
        attachment: 'csv',
        head: () => text.encode(csvLine(Object.fromEntries(query.fields.map((f) => [f, f])))),
        batch: (rows) => text.encode(rows.map(csvLine).join('')),
        end: () => new Uint8Array(),
      };
    case 'arrow':
      return arrowEncoder(columns);
    case 'parquet':
      return parquetEncoder(columns);
    default:
      return {
        contentType: 'application/x-ndjson',
        batch: (rows) => text.encode(rows.map((row) => `${jsonText(row)}\n`).join('')),
        end: () => new Uint8Array(),
      };
  }
}

/** One RFC 4180 line: fields quoted when they hold a comma, quote or line break; NULL as an empty field. */
function csvLine(row: Record<string, unknown>): string {
  return `${Object.values(row).map(csvField).join(',')}\r\n`;
}

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value);
  // Text a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading ' (OWASP's CSV injection
  // advice); numbers are written as they are.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
