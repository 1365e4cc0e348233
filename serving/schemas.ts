// The API's zod schemas: they validate what handlers accept and are the source of the OpenAPI document.
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'bad_request' }),
      message: z.string().openapi({ example: 'unknown column "citty" in fields; columns: city, date, …' }),
    }),
  })
  .openapi('Error');

export const ColumnSchema = z
  .object({
    name: z.string().openapi({ example: 'city' }),
    type: z.string().openapi({ example: 'text' }),
    description: z.string().nullable().openapi({ example: 'City' }),
  })
  .openapi('Column');

export const TableSchema = z
  .object({
    name: z.string().openapi({ example: 'weather_daily' }),
    description: z.string().nullable(),
    rows: z.number().int().openapi({ description: 'Row count of the served table' }),
    snapshotId: z.number().int().nullable().openapi({ description: 'Lake snapshot PostgreSQL serves' }),
    loadedAt: z.string().nullable().openapi({ description: 'When that snapshot was loaded (ISO-8601): the freshness of the table' }),
    columns: z.array(ColumnSchema),
  })
  .openapi('Table');

export const TableListSchema = z.object({ tables: z.array(TableSchema) }).openapi('TableList');

export const RowsSchema = z
  .object({
    table: z.string(),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int(),
    rows: z.array(z.record(z.string(), z.unknown())),
  })
  .openapi('Rows');

export const HealthSchema = z.object({ status: z.literal('ok'), service: z.literal('strata') }).openapi('Health');

export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi('Readiness');

/** Longer URLs are refused before any work (a bound on filters and their values). */
export const MAX_URL_BYTES = 8192;

/** The error responses every route may give, for the OpenAPI document. */
export const errorResponses = (...statuses: (400 | 404 | 414 | 429 | 503)[]) =>
  Object.fromEntries(statuses.map((s) => [s, { description: ERROR_TEXT[s], content: { 'application/json': { schema: ErrorSchema } } }]));

const ERROR_TEXT = { 400: 'The request is invalid; the message says why and what is accepted', 404: 'No such resource', 414: `The URL is longer than ${MAX_URL_BYTES} bytes`, 429: 'Too many requests', 503: 'A backing service is unavailable' };
