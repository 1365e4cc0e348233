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
    name: z.string().openapi({ example: 'shop_totals' }),
    description: z.string().nullable(),
    rows: z.number().int().openapi({ description: 'Row count of the served table' }),
    primaryKey: z.array(z.string()).openapi({ description: 'Columns that identify a row (and break ties in sorts)' }),
    snapshotId: z.number().int().nullable().openapi({ description: 'Lake snapshot PostgreSQL serves' }),
    loadedAt: z
      .string()
      .nullable()
      .openapi({ description: 'When that snapshot was loaded (ISO-8601): the freshness of the table' }),
    columns: z.array(ColumnSchema),
  })
  .openapi('Table');

export const TableListSchema = z.object({ tables: z.array(TableSchema) }).openapi('TableList');

export const RowsSchema = z
  .object({
    table: z.string(),
    limit: z.number().int(),
    total: z.number().int().optional().openapi({ description: 'Rows matching the filters, with `count=exact`' }),
    rows: z.array(z.record(z.string(), z.unknown())),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next page; null on the last page' }),
    next: z.string().nullable().openapi({ description: "The next page's URL (path and query), or null" }),
  })
  .openapi('Rows');

export const HealthSchema = z.object({ status: z.literal('ok'), service: z.literal('strata') }).openapi('Health');

export const ReadySchema = z
  .object({
    status: z.enum(['ready', 'unavailable']),
    checks: z.record(z.string(), z.object({ ok: z.boolean(), error: z.string().optional() })),
  })
  .openapi('Readiness');

export const int = () => z.number().int();
const nullableInt = () => z.number().int().nullable();

export const RunSchema = z
  .object({
    runId: z.string(),
    kind: z.string().openapi({ example: 'job:silver' }),
    target: z.string().openapi({ example: 'silver.shop_orders' }),
    status: z.string().openapi({ example: 'succeeded' }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMillis: nullableInt(),
    rowsIn: nullableInt(),
    rowsOut: nullableInt(),
    rowsQuarantined: nullableInt().openapi({
      description: 'Rows the step set aside with a reason: quarantined (table runs) or dead-lettered (collect, bronze)',
    }),
    error: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('Run');

export const RunListSchema = z
  .object({
    runs: z.array(RunSchema),
    nextBefore: z.string().nullable().openapi({ description: 'Pass as `before` for older runs' }),
  })
  .openapi('RunList');

export const QualitySchema = z
  .object({
    tables: z.array(
      z.object({
        table: z.string().openapi({ example: 'silver.shop_orders' }),
        status: z.string().openapi({
          description:
            "The latest job run's status, or `failed` when a gold table's latest PostgreSQL load failed (the API then serves older rows)",
          example: 'succeeded',
        }),
        quarantinedTotal: int().openapi({ description: "Rows kept in the table's quarantine" }),
        lastRun: z
          .object({
            runId: z.string(),
            status: z.string(),
            finishedAt: z.string().nullable(),
            rowsIn: nullableInt(),
            rowsOut: nullableInt(),
            rowsQuarantined: int(),
            rowsDropped: int(),
            warnings: z.record(z.string(), z.number()).openapi({ description: 'Rows that broke each warn rule' }),
            error: z.string().nullable(),
          })
          .nullable(),
        lastLoad: z
          .object({
            runId: z.string(),
            status: z.string(),
            finishedAt: z.string().nullable(),
            error: z.string().nullable(),
          })
          .nullable()
          .openapi({ description: "Gold: the table's latest load into PostgreSQL" }),
      }),
    ),
    deadLetters: z.record(z.string(), z.number().int()).openapi({
      description: 'Dead letters per source: in the lake (bronze.<source>__dead_letters) and still in Redis',
    }),
  })
  .openapi('Quality');

export const StreamSchema = z
  .object({
    source: z.string(),
    stream: z.string(),
    length: int().openapi({
      description: 'Entries in Redis: those not yet in the lake (committed entries are trimmed)',
    }),
    backlog: int().openapi({ description: 'Entries the bronze writer has not acknowledged' }),
    undelivered: int(),
    pending: int(),
    consumers: int(),
    lagSeconds: z.number().openapi({ description: 'Age of the oldest unacknowledged entry' }),
    deadLetters: int().openapi({
      description: 'Dead letters still in Redis (the rest are in the lake: see /v1/quality)',
    }),
  })
  .openapi('Stream');

export const StreamListSchema = z.object({ streams: z.array(StreamSchema) }).openapi('StreamList');

export const LakeTableSchema = z
  .object({
    layer: z.enum(['bronze', 'silver', 'gold']),
    name: z.string(),
    snapshotId: nullableInt(),
    committedAt: z.string().nullable(),
    files: int(),
    rows: int(),
    bytes: int(),
    partitions: int(),
  })
  .openapi('LakeTable');

export const LakeSchema = z.object({ tables: z.array(LakeTableSchema) }).openapi('Lake');

export const LakeFileSchema = z
  .object({
    path: z.string(),
    rows: int(),
    bytes: int(),
    partition: z.record(z.string(), z.string()),
    snapshotId: int(),
    addedAt: z.string(),
  })
  .openapi('LakeFile');

export const LakeTableDetailSchema = z
  .object({
    table: LakeTableSchema,
    partitions: z.array(
      z.object({ partition: z.record(z.string(), z.string()), files: int(), rows: int(), bytes: int() }),
    ),
    files: z.array(LakeFileSchema).openapi({ description: 'The files of `partition`, when one is asked for' }),
    snapshots: z
      .array(
        z.object({
          snapshotId: int(),
          operation: z.string().openapi({ example: 'append' }),
          committedAt: z.string(),
          files: int(),
          rows: int(),
          bytes: int(),
        }),
      )
      .openapi({ description: 'The latest 100 snapshots, newest first, with what the table held at each' }),
  })
  .openapi('LakeTableDetail');

export const JobAcceptedSchema = z
  .object({
    status: z.literal('started'),
    pid: int(),
    command: z.string().openapi({ example: 'pnpm job:silver --select shop_orders+' }),
    log: z.string().openapi({ description: "Where the run's output goes" }),
    runs: z.string().openapi({ description: 'Where to follow it' }),
  })
  .openapi('JobAccepted');

export const ReplaySchema = z
  .object({
    source: z.string(),
    runId: z.string(),
    examined: int(),
    replayed: int(),
    duplicates: int(),
    stillFailing: int().openapi({ description: 'Still rejected: left in the dead-letter stream' }),
    skipped: int().openapi({ description: 'Bronze writer dead letters (malformed stream entries): left as they are' }),
  })
  .openapi('Replay');

/** Longer URLs are refused before any work (a bound on filters and their values). */
export const MAX_URL_BYTES = 8192;

/** The error responses every route may give, for the OpenAPI document. */
export const errorResponses = (...statuses: (keyof typeof ERROR_TEXT)[]) =>
  Object.fromEntries(
    statuses.map((s) => [s, { description: ERROR_TEXT[s], content: { 'application/json': { schema: ErrorSchema } } }]),
  );

const ERROR_TEXT = {
  400: 'The request is invalid; the message says why and what is accepted',
  401: 'No API key, or not a known one',
  403: 'Admin actions are off (no STRATA_API_KEYS)',
  404: 'No such resource',
  409: 'A job run is already in progress',
  413: 'The request body is too large',
  414: `The URL is longer than ${MAX_URL_BYTES} bytes`,
  415: 'The body is not JSON',
  429: 'Too many requests (see the Retry-After header)',
  503: 'A backing service is unavailable',
};
