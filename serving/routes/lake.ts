// /v1/lake: browse the lake from its catalog: tables by layer with their live files, rows and bytes, a table's
// partitions, and the files of one partition.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { LAYERS } from '../../lake/catalog/catalog.ts';
import type { Pool } from '../../core/postgres.ts';
import { CatalogReadModel, type LakeTableRow } from '../../lake/catalog/read-model.ts';
import { apiError } from '../errors.ts';
import { errorResponses, LakeSchema, LakeTableDetailSchema } from '../schemas.ts';

const lakeRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'lakeTables',
  tags: ['lake'],
  summary: 'Every lake table by layer: current snapshot, live files, rows, bytes and partitions',
  security: [],
  request: { query: z.object({ layer: z.enum(LAYERS).optional().openapi({ example: 'silver' }) }) },
  responses: {
    200: { description: 'Lake tables, bronze first', content: { 'application/json': { schema: LakeSchema } } },
    ...errorResponses(400, 414, 429, 503),
  },
});

const tableRoute = createRoute({
  method: 'get',
  path: '/{layer}/{table}',
  operationId: 'lakeTable',
  tags: ['lake'],
  summary: "A lake table's partitions, its latest snapshots, and the files of one partition",
  security: [],
  request: {
    params: z.object({
      layer: z.enum(LAYERS).openapi({ param: { name: 'layer', in: 'path' }, example: 'silver' }),
      table: z
        .string()
        .max(200)
        .openapi({ param: { name: 'table', in: 'path' }, example: 'shop_orders' }),
    }),
    query: z.object({
      partition: z.string().max(500).optional().openapi({
        description: "`key=value` pairs joined by `/`, as in the lake's paths; `none` for an unpartitioned table",
        example: 'observed_date=2026-11-20',
      }),
    }),
  },
  responses: {
    200: { description: 'Partitions (and files)', content: { 'application/json': { schema: LakeTableDetailSchema } } },
    ...errorResponses(400, 404, 414, 429, 503),
  },
});

const tableJson = (t: LakeTableRow) => ({
  layer: t.layer,
  name: t.name,
  snapshotId: t.snapshot_id,
  committedAt: t.committed_at?.toISOString() ?? null,
  files: t.files,
  rows: t.rows,
  bytes: t.bytes,
  partitions: t.partitions,
});

/** `date=2026-11-20/kind=a` → { date: "2026-11-20", kind: "a" }; `none` → {}. */
function parsePartition(text: string): Record<string, string> {
  if (text === 'none') return {};
  const pairs = text.split('/').map((p) => p.split('='));
  if (pairs.some((p) => p.length !== 2 || !p[0] || p[1] === undefined))
    apiError(400, `partition must be key=value pairs joined by "/" (e.g. date=2026-11-20), got "${text.slice(0, 60)}"`);
  return Object.fromEntries(pairs);
}

export function lakeRoutes(pool: Pool): OpenAPIHono {
  const app = new OpenAPIHono();
  const catalog = new CatalogReadModel(pool);

  app.openapi(lakeRoute, async (c) => {
    const { layer } = c.req.valid('query');
    return c.json({ tables: (await catalog.tables(layer)).map(tableJson) }, 200);
  });

  app.openapi(tableRoute, async (c) => {
    const { layer, table } = c.req.valid('param');
    const { partition } = c.req.valid('query');
    const row = await catalog.table(layer, table);
    if (!row) apiError(404, `no lake table ${layer}.${table.slice(0, 60)}; GET /v1/lake lists them`);
    const partitions = { rows: await catalog.partitions(layer, table) };
    const snapshots = await catalog.snapshots(layer, table);
    const files = {
      rows: partition === undefined ? [] : await catalog.partitionFiles(layer, table, parsePartition(partition)),
    };
    return c.json(
      {
        table: tableJson(row),
        partitions: partitions.rows.map((p) => ({
          partition: p.partition_values,
          files: p.files,
          rows: p.rows,
          bytes: p.bytes,
        })),
        files: files.rows.map((f) => ({
          path: f.path,
          rows: f.row_count,
          bytes: f.bytes,
          partition: f.partition_values,
          snapshotId: f.added_snapshot_id,
          addedAt: f.committed_at.toISOString(),
        })),
        snapshots: snapshots.map((s) => ({
          snapshotId: s.snapshot_id,
          operation: s.operation,
          committedAt: s.committed_at.toISOString(),
          files: s.files,
          rows: s.rows,
          bytes: s.bytes,
        })),
      },
      200,
    );
  });

  return app;
}
