// /v1/tables: the gold tables served from PostgreSQL, with filters, sort and paging. Table and column names are
// accepted only when PostgreSQL's catalog knows them; every value travels as a query parameter.
import { Hono } from 'hono';
import pg from 'pg';
import type { Pool } from '../../core/postgres.ts';
import { GOLD_SCHEMA } from '../../gold/loader/postgres-loader.ts';
import { apiError } from '../errors.ts';

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

export function tablesRoutes(pool: Pool): Hono {
  const app = new Hono();

  app.get('/', async (c) => {
    const { rows } = await pool.query<{ name: string; description: string | null; rows: number }>(
      `select c.relname as name, obj_description(c.oid, 'pg_class') as description, c.reltuples::bigint as rows
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relkind = 'r' and c.relname !~ '__load_' order by c.relname`,
      [GOLD_SCHEMA],
    );
    const tables = [];
    for (const t of rows) tables.push({ name: t.name, description: t.description, columns: await columnsOf(pool, t.name) });
    return c.json({ tables });
  });

  app.get('/:name', async (c) => {
    const name = c.req.param('name');
    const columns = /^\w+$/.test(name) && !name.includes('__load_') ? await columnsOf(pool, name) : [];
    if (!columns.length) apiError(404, `no gold table "${name}"; GET /v1/tables lists them`);
    const url = new URL(c.req.url);
    const query = buildQuery(name, columns, [...url.searchParams.entries()]);
    const [rows, count] = await Promise.all([pool.query(query.rowsSql, query.values), pool.query<{ total: number }>(query.countSql, query.values)]);
    return c.json({ table: name, total: count.rows[0]!.total, limit: query.limit, offset: query.offset, rows: rows.rows });
  });

  return app;
}
