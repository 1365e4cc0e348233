// /v1/runs, /v1/quality and /v1/streams: what the pipeline did and how far behind it is, read from the catalog's run
// log, its quarantine tables and the Redis streams.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Redis } from 'ioredis';
import { RUN_KINDS, RUN_STATUSES } from '../../lake/catalog/runs.ts';
import { LOG_LEVELS } from '../../core/log.ts';
import type { Pool } from '../../core/postgres.ts';
import { CatalogReadModel } from '../../lake/catalog/read-model.ts';
import type { Context } from 'hono';
import { apiError } from '../errors.ts';
import { redactDeep, redactError } from '../redact.ts';
import { limitOf, limitParam } from '../params.ts';
import { QualitySchema, RunListSchema, StreamListSchema, errorResponses } from '../schemas.ts';
import { streamStats } from '../stream-stats.ts';

export const MAX_RUNS = 500;

const runsRoute = createRoute({
  method: 'get',
  path: '/runs',
  operationId: 'listRuns',
  tags: ['operations'],
  summary: 'Collector, bronze writer, job and load runs, newest first',
  security: [],
  request: {
    query: z.object({
      kind: z
        .enum(RUN_KINDS)
        .optional()
        .openapi({ description: `One of ${RUN_KINDS.join(', ')}`, example: 'job:silver' }),
      target: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: 'A source or table, e.g. shop_orders or silver.shop_orders', example: 'shop_orders' }),
      status: z.enum(RUN_STATUSES).optional().openapi({ example: 'failed' }),
      limit: limitParam(MAX_RUNS, 50),
      before: z.string().max(200).optional().openapi({
        description: 'The `nextBefore` of the previous page',
        example: '2026-11-20 10:00:00.123456+00|collect-20261120T100000123Z-1a2b3c4d',
      }),
    }),
  },
  responses: {
    200: { description: 'Runs, newest first', content: { 'application/json': { schema: RunListSchema } } },
    ...errorResponses(400, 414, 429, 503),
  },
});

const qualityRoute = createRoute({
  method: 'get',
  path: '/quality',
  operationId: 'quality',
  tags: ['operations'],
  summary: "Expectation results of each table's last run, quarantine counts, and dead letters per source",
  security: [],
  responses: {
    200: {
      description: 'Quality per table and per source',
      content: { 'application/json': { schema: QualitySchema } },
    },
    ...errorResponses(414, 429, 503),
  },
});

export const MAX_LOG_LINES = 1000;

const LogLineSchema = z
  .object({
    at: z.string().openapi({ example: '2026-12-03T02:00:00.000Z' }),
    level: z.enum(LOG_LEVELS),
    command: z.string().openapi({ description: 'The command that wrote it', example: 'ingest-run' }),
    runId: z.string().nullable(),
    target: z.string().nullable().openapi({ description: 'The source or table it is about', example: 'shop_orders' }),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  })
  .openapi('LogLine');

const logsRoute = createRoute({
  method: 'get',
  path: '/logs',
  operationId: 'listLogs',
  tags: ['operations'],
  summary: "Every command's log lines, newest first: a run's errors and warnings, or everything since a time",
  security: [],
  request: {
    query: z.object({
      level: z
        .enum(LOG_LEVELS)
        .optional()
        .openapi({ description: 'This level and the ones above it (default info)', example: 'warn' }),
      run: z
        .string()
        .max(200)
        .optional()
        .openapi({ description: 'One run’s lines (its runId)', example: 'collect-20261203T020000000Z-1a2b3c4d' }),
      since: z.iso.datetime({ offset: true }).optional().openapi({ example: '2026-12-03T00:00:00Z' }),
      limit: limitParam(MAX_LOG_LINES, 200),
    }),
  },
  responses: {
    200: {
      description: 'Log lines, newest first',
      content: { 'application/json': { schema: z.object({ lines: z.array(LogLineSchema) }).openapi('LogList') } },
    },
    ...errorResponses(400, 414, 429, 503),
  },
});

const streamsRoute = createRoute({
  method: 'get',
  path: '/streams',
  operationId: 'listStreams',
  tags: ['operations'],
  summary: "Backlog and lag of each source's Redis stream, and its dead letters",
  security: [],
  responses: {
    200: { description: 'One entry per stream', content: { 'application/json': { schema: StreamListSchema } } },
    ...errorResponses(414, 429, 503),
  },
});

export function operationsRoutes(
  pool: Pool,
  redis: Redis | undefined,
  redisPrefix: string,
  /** Whether the caller may read internal error texts whole (a key holder); others get them redacted. */
  seesErrors: (c: Context) => boolean,
): OpenAPIHono {
  const app = new OpenAPIHono();
  const catalog = new CatalogReadModel(pool);

  app.openapi(runsRoute, async (c) => {
    const { kind, target, status, limit: rawLimit, before } = c.req.valid('query');
    const limit = limitOf(rawLimit, MAX_RUNS, 50);
    let keyset: { startedAt: string; runId: string } | undefined;
    if (before) {
      const cut = before.lastIndexOf('|');
      if (cut < 1) apiError(400, 'before must be the "nextBefore" of a previous page');
      keyset = { startedAt: before.slice(0, cut), runId: before.slice(cut + 1) };
    }
    const rows = await catalog.runs({ kind, target, status, before: keyset, limit });
    const whole = seesErrors(c);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        runs: page.map((r) => ({
          runId: r.run_id,
          kind: r.kind,
          target: r.target,
          status: r.status,
          startedAt: r.started_at.toISOString(),
          finishedAt: r.finished_at?.toISOString() ?? null,
          durationMillis: r.finished_at ? r.finished_at.getTime() - r.started_at.getTime() : null,
          rowsIn: r.rows_in,
          rowsOut: r.rows_out,
          rowsQuarantined: r.rows_quarantined,
          error: whole || r.error === null ? r.error : redactError(r.error),
          details: whole ? r.details : (redactDeep(r.details) as typeof r.details),
        })),
        nextBefore: rows.length > limit && last ? `${last.started_text}|${last.run_id}` : null,
      },
      200,
    );
  });

  app.openapi(qualityRoute, async (c) => {
    const rows = await catalog.tableQuality();
    const shown = (error: string | null) => (error === null || seesErrors(c) ? error : redactError(error));
    const streams = redis ? await streamStats(redis, redisPrefix) : [];
    // Dead letters per source: those committed to bronze.<source>__dead_letters, plus those still in Redis.
    const inLake = await catalog.deadLettersInLake();
    const deadLetters: Record<string, number> = Object.fromEntries(streams.map((s) => [s.source, s.deadLetters]));
    for (const r of inLake) deadLetters[r.source] = (deadLetters[r.source] ?? 0) + r.letters;
    return c.json(
      {
        tables: rows.map((r) => ({
          table: `${r.layer}.${r.name}`,
          // A gold table whose load failed is failed, whatever its job did: PostgreSQL serves stale rows.
          status: r.load_status === 'failed' ? 'failed' : (r.status ?? 'never run'),
          quarantinedTotal: r.quarantined,
          lastRun: r.run_id
            ? {
                runId: r.run_id,
                status: r.status!,
                finishedAt: r.finished_at?.toISOString() ?? null,
                rowsIn: r.rows_in,
                rowsOut: r.rows_out,
                rowsQuarantined: r.rows_quarantined ?? 0,
                rowsDropped: Number(r.details?.rowsDropped ?? 0),
                warnings: (r.details?.warnings ?? {}) as Record<string, number>,
                error: shown(r.error),
              }
            : null,
          lastLoad: r.load_run_id
            ? {
                runId: r.load_run_id,
                status: r.load_status!,
                finishedAt: r.load_finished_at?.toISOString() ?? null,
                error: shown(r.load_error),
              }
            : null,
        })),
        deadLetters,
      },
      200,
    );
  });

  app.openapi(logsRoute, async (c) => {
    const { level = 'info', run, since, limit: rawLimit } = c.req.valid('query');
    const rows = await catalog.logs({
      levels: LOG_LEVELS.slice(LOG_LEVELS.indexOf(level)),
      runId: run,
      since: since ? new Date(since) : undefined,
      limit: limitOf(rawLimit, MAX_LOG_LINES, 200),
    });
    const whole = seesErrors(c);
    return c.json(
      {
        lines: rows.map((r) => ({
          at: r.at.toISOString(),
          level: r.level as (typeof LOG_LEVELS)[number],
          command: r.command,
          runId: r.run_id,
          target: r.target,
          // Lines carry error texts: an anonymous reader sees them redacted, as in /v1/runs.
          message: whole || r.level === 'info' || r.level === 'debug' ? r.message : redactError(r.message),
          details: whole ? r.details : (redactDeep(r.details) as Record<string, unknown>),
        })),
      },
      200,
    );
  });

  app.openapi(streamsRoute, async (c) => {
    if (!redis) apiError(503, 'this API runs without Redis; stream statistics are unavailable');
    return c.json({ streams: await streamStats(redis, redisPrefix) }, 200);
  });

  return app;
}
