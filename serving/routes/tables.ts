// /v1/tables: the gold tables served from PostgreSQL, with filters, sort and paging. Table and column names are
// accepted only when PostgreSQL's catalog knows them; every value travels as a query parameter.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import pg from 'pg';
import type { Pool } from '../../core/postgres.ts';
import { GOLD_SCHEMA } from '../../gold/loader/postgres-loader.ts';
import { apiError } from '../errors.ts';
import { errorResponses, RowsSchema, TableListSchema } from '../schemas.ts';

const OPERATORS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
const RESERVED = new Set(['limit', 'offset', 'order', 'fields']);
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 10_000;

interface Column {
  name: string;
  type: string;
  description: string | null;
}

async function columnsOf(pool: Pool, table: string): Promise<Column[]> {
  const { rows } = await pool.query<Column>(
    `select a.attname as name, format_type(a.atttypid, a.atttypmod) as type, col_description(a.attrelid, a.attnum) as description
       from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relname = $2 and c.relkind = 'r' and a.attnum > 0 and not a.attisdropped
      order by a.attnum`,
    [GOLD_SCHEMA, table],
  );
  return rows;
}

/** Parses `?col=v`, `?col[gte]=v`, `order=col,-col2`, `fields=a,b`, `limit`, `offset` against the known columns. */
export function buildQuery(table: string, columns: Column[], params: [string, string][]) {
  const known = new Set(columns.map((c) => c.name));
  const where: string[] = [];
  const values: unknown[] = [];
  const q = (id: string) => pg.escapeIdentifier(id);
  let limit = DEFAULT_LIMIT;
  let offset = 0;
  let order: string[] = [];
  let fields = columns.map((c) => c.name);
  for (const [key, value] of params) {
    if (key === 'limit' || key === 'offset') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || (key === 'limit' && (n < 1 || n > MAX_LIMIT))) {
        apiError(400, `${key} must be an integer${key === 'limit' ? ` between 1 and ${MAX_LIMIT}` : ' ≥ 0'}, got "${value}"`);
      }
      key === 'limit' ? (limit = n) : (offset = n);
      continue;
    }
    if (key === 'order' || key === 'fields') {
      const names = value.split(',').map((s) => s.trim()).filter(Boolean);
      for (const n of names) if (!known.has(n.replace(/^-/, ''))) apiError(400, `unknown column "${n.replace(/^-/, '')}" in ${key}; columns: ${[...known].join(', ')}`);
      key === 'order' ? (order = names) : (fields = names);
      continue;
    }
    const match = /^(\w+)(?:\[(\w+)\])?$/.exec(key);
    const column = match?.[1];
    const op = (match?.[2] ?? 'eq') as keyof typeof OPERATORS;
    if (!column || !known.has(column)) apiError(400, `unknown filter "${key}"; filter on a column (${[...known].join(', ')}) or use ${[...RESERVED].join(', ')}`);
    if (!(op in OPERATORS)) apiError(400, `unknown operator "${op}" in "${key}"; use one of ${Object.keys(OPERATORS).join(', ')}`);
    values.push(value);
    where.push(`${q(column)} ${OPERATORS[op]} $${values.length}`);
  }
  const orderBy = order.length ? order.map((n) => (n.startsWith('-') ? `${q(n.slice(1))} desc` : `${q(n)} asc`)) : ['1'];
  const from = `${q(GOLD_SCHEMA)}.${q(table)}${where.length ? ` where ${where.join(' and ')}` : ''}`;
  return {
    rowsSql: `select ${fields.map(q).join(', ')} from ${from} order by ${orderBy.join(', ')} limit ${limit} offset ${offset}`,
    countSql: `select count(*)::bigint as total from ${from}`,
    values,
    limit,
    offset,
  };
}

const listRoute = createRoute({
  method: 'get',
  path: '/',
  operationId: 'listTables',
  tags: ['tables'],
  summary: 'The gold tables, with their columns, descriptions, row counts and freshness',
  security: [],
  responses: { 200: { description: 'Every gold table PostgreSQL serves', content: { 'application/json': { schema: TableListSchema } } }, ...errorResponses(414, 503) },
});

const rowsRoute = createRoute({
  method: 'get',
  path: '/{name}',
  operationId: 'readTable',
  tags: ['tables'],
  summary: 'Rows of a gold table, filtered, sorted and paged',
  description:
    'Filters on any column: `?city=Paris`, `?date[gte]=2026-11-03` (operators eq, neq, gt, gte, lt, lte). Values are sent ' +
    'to PostgreSQL as parameters; table and column names are accepted only when the database catalog knows them.',
  request: {
    params: z.object({ name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'weather_daily', description: 'A table listed by GET /v1/tables' }) }),
    query: z.object({
      order: z.string().optional().openapi({ description: 'Comma-separated columns; a leading - sorts descending', example: 'city,-date' }),
      fields: z.string().optional().openapi({ description: 'Comma-separated columns to return', example: 'city,date,temperature_mean_c' }),
      limit: z.string().optional().openapi({ description: `Rows per page, 1–${MAX_LIMIT} (default ${DEFAULT_LIMIT})`, example: '100' }),
      offset: z.string().optional().openapi({ description: 'Rows to skip', example: '0' }),
    }),
  },
  security: [],
  responses: { 200: { description: 'A page of rows and the total matching', content: { 'application/json': { schema: RowsSchema } } }, ...errorResponses(400, 404, 414, 503) },
});

export function tablesRoutes(pool: Pool): OpenAPIHono {
  const app = new OpenAPIHono();

  app.openapi(listRoute, async (c) => {
    const { rows } = await pool.query<{ name: string; description: string | null; rows: number; snapshot_id: number | null; loaded_at: Date | null }>(
      `select c.relname as name, obj_description(c.oid, 'pg_class') as description, greatest(c.reltuples, 0)::bigint as rows, l.snapshot_id, l.loaded_at
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
         left join strata_catalog.gold_loads l on l.table_name = c.relname
        where n.nspname = $1 and c.relkind = 'r' and c.relname !~ '__load_' order by c.relname`,
      [GOLD_SCHEMA],
    );
    const tables = [];
    for (const t of rows) {
      const exact = await pool.query<{ n: number }>(`select count(*)::bigint as n from ${pg.escapeIdentifier(GOLD_SCHEMA)}.${pg.escapeIdentifier(t.name)}`);
      tables.push({
        name: t.name, description: t.description, rows: exact.rows[0]!.n, snapshotId: t.snapshot_id, loadedAt: t.loaded_at?.toISOString() ?? null,
        columns: await columnsOf(pool, t.name),
      });
    }
    return c.json({ tables }, 200);
  });

  app.openapi(rowsRoute, async (c) => {
    const name = c.req.param('name');
    const columns = /^\w+$/.test(name) && !name.includes('__load_') ? await columnsOf(pool, name) : [];
    if (!columns.length) apiError(404, `no gold table "${name}"; GET /v1/tables lists them`);
    const url = new URL(c.req.url);
    const query = buildQuery(name, columns, [...url.searchParams.entries()]);
    const [rows, count] = await Promise.all([pool.query(query.rowsSql, query.values), pool.query<{ total: number }>(query.countSql, query.values)]);
    return c.json({ table: name, total: count.rows[0]!.total, limit: query.limit, offset: query.offset, rows: rows.rows }, 200);
  });

  return app;
}
