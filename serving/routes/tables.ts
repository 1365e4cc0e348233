// /v1/tables: the gold tables served from PostgreSQL, with filters, sort, field selection, cursor paging and streamed
// csv/ndjson exports. Table and column names are accepted only from the GoldCatalog; every value is a parameter.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import pg from 'pg';
import type { Pool } from '../../core/postgres.ts';
import { GOLD_SCHEMA } from '../../gold/served.ts';
import { CatalogReadModel } from '../../lake/catalog/read-model.ts';
import { apiError } from '../errors.ts';
import type { GoldCatalog } from '../gold-catalog.ts';
import { type ExportBudget, startExport } from '../row-stream.ts';
import { masked, type ShowSensitive } from '../sensitive-values.ts';
import { errorResponses, RowsSchema, TableListSchema } from '../schemas.ts';
import { jsonText, WIRE_TYPES } from '../wire-types.ts';
import {
  buildTableQuery,
  cursorAfter,
  DEFAULT_LIMIT,
  FORMATS,
  MAX_JSON_LIMIT,
  OPERATORS,
  publicRow,
} from '../table-query.ts';

const listRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listTables',
  tags: ['tables'],
  summary: 'The gold tables, with their columns, descriptions, row counts and freshness',
  security: [],
  responses: {
    200: {
      description: 'Every gold table PostgreSQL serves',
      content: { 'application/json': { schema: TableListSchema } },
    },
    ...errorResponses(414, 429, 503),
  },
});

const text = (description: string, example: string) => z.string().optional().openapi({ description, example });

const rowsRoute = createRoute({
  method: 'get',
  path: '/{name}',
  operationId: 'readTable',
  tags: ['tables'],
  summary: 'Rows of a gold table: filtered, sorted, paged by cursor, or streamed as CSV / NDJSON',
  description:
    `Filters on any column: \`?city=Paris\`, \`?date[gte]=2026-11-03\` (operators ${Object.keys(OPERATORS).join(', ')}). Values are sent ` +
    'to PostgreSQL as parameters; table and column names are accepted only when the database catalog knows them. ' +
    'Pages follow a cursor: each JSON page gives `nextCursor` (and `next`, its URL) until the last. `format=csv` or ' +
    '`format=ndjson` streams every matching row (or `limit` of them) without paging; `format=arrow` (Arrow IPC stream) ' +
    'and `format=parquet` do the same in binary, typed by the columns.',
  request: {
    params: z.object({
      name: z.string().openapi({
        param: { name: 'name', in: 'path' },
        example: 'shop_totals',
        description: 'A table listed by GET /v1/tables',
      }),
    }),
    query: z.object({
      fields: text('Comma-separated columns to return', 'city,date,temperature_mean_c'),
      order: text('Comma-separated columns; a leading - sorts descending. The primary key breaks ties.', 'city,-date'),
      limit: text(
        `Rows per page, 1–${MAX_JSON_LIMIT} (default ${DEFAULT_LIMIT}); with csv/ndjson, rows to export (default all)`,
        '100',
      ),
      cursor: text('The `nextCursor` of the previous page', 'eyJvIjoiIiwiayI6WyJQYXJpcyJdfQ'),
      format: z.enum(FORMATS).optional().openapi({
        description: 'json (paged); csv, ndjson, arrow (Arrow IPC stream) or parquet (one file), streamed',
        example: 'json',
      }),
      count: z
        .literal('exact')
        .optional()
        .openapi({ description: 'Add `total`, the rows matching the filters (one more query)', example: 'exact' }),
    }),
  },
  security: [],
  responses: {
    200: {
      description: 'A page of rows, or the streamed export',
      content: {
        'application/json': { schema: RowsSchema },
        'text/csv': { schema: z.string().openapi({ description: 'RFC 4180, a header line first' }) },
        'application/x-ndjson': { schema: z.string().openapi({ description: 'One JSON object a line' }) },
        'application/vnd.apache.arrow.stream': {
          schema: z
            .string()
            .openapi({ format: 'binary', description: 'Arrow IPC stream: a record batch per 1,000 rows' }),
        },
        'application/vnd.apache.parquet': {
          schema: z.string().openapi({ format: 'binary', description: 'A Parquet file: a row group per 1,000 rows' }),
        },
      },
    },
    ...errorResponses(400, 404, 414, 429, 503),
  },
});

export function tablesRoutes(
  pool: Pool,
  gold: GoldCatalog,
  exports: ExportBudget,
  /** Whether the request may read a table (its key's scopes): the list shows only those. */
  mayRead: (c: Context, table: string) => boolean = () => true,
  /** How the request's reader sees encrypted values (its key's read:sensitive scope). */
  showSensitive: (c: Context) => ShowSensitive = () => masked,
): OpenAPIHono {
  const app = new OpenAPIHono();
  const catalog = new CatalogReadModel(pool);

  app.openapi(listRoute, async (c) => {
    const loaded = new Map((await catalog.goldLoads()).map((l) => [l.table_name, l]));
    const tables = await Promise.all(
      (await gold.tables())
        .filter((t) => mayRead(c, t.name))
        .map(async (t) => {
          const load = loaded.get(t.name);
          // The loader keeps the count; only a table loaded before it did (or by hand) is counted here.
          const rows =
            load?.row_count ??
            (
              await pool.query<{ n: number }>(
                `select count(*)::bigint as n from ${pg.escapeIdentifier(GOLD_SCHEMA)}.${pg.escapeIdentifier(t.name)}`,
              )
            ).rows[0]!.n;
          return {
            name: t.name,
            description: t.description,
            rows,
            primaryKey: t.primaryKey,
            snapshotId: load?.snapshot_id ?? null,
            loadedAt: load?.loaded_at.toISOString() ?? null,
            columns: t.columns,
          };
        }),
    );
    return c.json({ tables }, 200);
  });

  app.openapi(rowsRoute, async (c) => {
    const name = c.req.param('name');
    const url = new URL(c.req.url);
    const params = [...url.searchParams.entries()];
    const read = async () => {
      const table = await gold.table(name);
      if (!table) apiError(404, `no gold table "${name.slice(0, 60)}"; GET /v1/tables lists them`);
      const query = { ...buildTableQuery(table, params), showSensitive: showSensitive(c) };
      if (query.format !== 'json') return startExport(exports, c, query);
      const [page, count] = await Promise.all([
        pool.query({ text: query.sql, values: query.values, types: WIRE_TYPES }),
        query.countSql ? pool.query<{ total: number }>(query.countSql, query.countValues) : undefined,
      ]);
      const more = page.rows.length > query.limit!;
      const rows = more ? page.rows.slice(0, query.limit) : page.rows;
      const nextCursor = more ? cursorAfter(query, rows.at(-1)!) : null;
      let next: string | null = null;
      if (nextCursor) {
        const following = new URLSearchParams(url.searchParams);
        following.set('cursor', nextCursor);
        next = `${url.pathname}?${following}`;
      }
      // Written by jsonText: a BIGINT past 2^53 keeps its digits.
      const body = {
        table: name,
        limit: query.limit!,
        ...(count ? { total: count.rows[0]!.total } : {}),
        rows: rows.map((r) => publicRow(query, r)),
        nextCursor,
        next,
      };
      return c.body(jsonText(body), 200, { 'content-type': 'application/json' }) as never;
    };
    try {
      return await read();
    } catch (error) {
      // A load swapped the table for one with other columns since the catalog was read: read it again, once.
      if (!['42P01', '42703'].includes((error as { code?: string }).code ?? '')) throw error;
      gold.invalidate();
      return await read();
    }
  });

  return app;
}
