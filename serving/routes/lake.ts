// /v1/lake: browse the lake from its catalog: tables by layer with their live files, rows and bytes, a table's
// partitions, and the files of one partition.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { LAYERS } from '../../lake/catalog/catalog.ts';
import type { Pool } from '../../core/postgres.ts';
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
  summary: "A lake table's partitions, and the files of one partition",
  security: [],
  request: {
    params: z.object({
      layer: z.enum(LAYERS).openapi({ param: { name: 'layer', in: 'path' }, example: 'silver' }),
      table: z
        .string()
        .max(200)
        .openapi({ param: { name: 'table', in: 'path' }, example: 'weather_observations' }),
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

interface TableRow {
  layer: (typeof LAYERS)[number];
  name: string;
  snapshot_id: number | null;
  committed_at: Date | null;
  files: number;
  rows: number;
  bytes: number;
  partitions: number;
}

const TABLES_SQL = `
  select t.layer, t.name, t.current_snapshot_id as snapshot_id, s.committed_at,
         count(f.file_id)::bigint as files, coalesce(sum(f.row_count), 0)::bigint as rows, coalesce(sum(f.bytes), 0)::bigint as bytes,
         count(distinct f.partition_values)::bigint as partitions
    from strata_catalog.tables t
    left join strata_catalog.snapshots s on s.snapshot_id = t.current_snapshot_id
    left join strata_catalog.files f on f.table_id = t.table_id and f.removed_snapshot_id is null`;

const tableJson = (t: TableRow) => ({
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

  app.openapi(lakeRoute, async (c) => {
    const { layer } = c.req.valid('query');
    const { rows } = await pool.query<TableRow>(
      `${TABLES_SQL} ${layer ? 'where t.layer = $1' : ''}
        group by t.table_id, s.committed_at order by array_position(array['bronze', 'silver', 'gold'], t.layer), t.name`,
      layer ? [layer] : [],
    );
    return c.json({ tables: rows.map(tableJson) }, 200);
  });

  app.openapi(tableRoute, async (c) => {
    const { layer, table } = c.req.valid('param');
    const { partition } = c.req.valid('query');
    const found = await pool.query<TableRow & { table_id: number }>(
      `${TABLES_SQL} where t.layer = $1 and t.name = $2 group by t.table_id, s.committed_at`,
      [layer, table],
    );
    const row = found.rows[0];
    if (!row) apiError(404, `no lake table ${layer}.${table.slice(0, 60)}; GET /v1/lake lists them`);
    const id = `(select table_id from strata_catalog.tables where layer = $1 and name = $2)`;
    const partitions = await pool.query<{
      partition_values: Record<string, string>;
      files: number;
      rows: number;
      bytes: number;
    }>(
      `select partition_values, count(*)::bigint as files, sum(row_count)::bigint as rows, sum(bytes)::bigint as bytes
         from strata_catalog.files where table_id = ${id} and removed_snapshot_id is null
        group by partition_values order by partition_values::text desc`,
      [layer, table],
    );
    const files =
      partition === undefined
        ? { rows: [] }
        : await pool.query<{
            path: string;
            row_count: number;
            bytes: number;
            partition_values: Record<string, string>;
            added_snapshot_id: number;
            committed_at: Date;
          }>(
            `select f.path, f.row_count, f.bytes, f.partition_values, f.added_snapshot_id, s.committed_at
         from strata_catalog.files f join strata_catalog.snapshots s on s.snapshot_id = f.added_snapshot_id
        where f.table_id = ${id} and f.removed_snapshot_id is null and f.partition_values = $3::jsonb order by f.path`,
            [layer, table, JSON.stringify(parsePartition(partition))],
          );
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
      },
      200,
    );
  });

  return app;
}
