// Turns the query string of GET /v1/tables/:name into one parameterised SELECT: filters, sort, field selection and
// keyset (cursor) paging. Names are taken only from the table's catalog entry; every value is a query parameter.
import { masked, type ShowSensitive } from './sensitive-values.ts';
import pg from 'pg';
import { GOLD_SCHEMA } from '../gold/served.ts';
import { apiError } from './errors.ts';
import type { GoldTable } from './gold-catalog.ts';

export const OPERATORS = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
export const FORMATS = ['json', 'csv', 'ndjson', 'arrow', 'parquet'] as const;
export type Format = (typeof FORMATS)[number];
const RESERVED = ['fields', 'order', 'limit', 'cursor', 'format', 'count'] as const;
export const DEFAULT_LIMIT = 100;
/** A JSON page holds at most this many rows; csv and ndjson stream any number. */
export const MAX_JSON_LIMIT = 10_000;
const MAX_STREAM_LIMIT = 1_000_000_000;
/** Each key column's value travels back as text under this alias, for the next cursor; callers strip them. */
export const KEY_ALIAS = '__strata_key_';

export interface TableQuery {
  table: string;
  format: Format;
  /** Columns returned, in order. */
  fields: string[];
  /** Their PostgreSQL types (format_type), what the arrow and parquet exports type their columns by. */
  types: Record<string, string>;
  /** Rows asked for (undefined: all of them, streamed). */
  limit?: number;
  sql: string;
  values: unknown[];
  /** Set when the caller asked for `count=exact`: the number of rows the filters match. */
  countSql?: string;
  countValues?: unknown[];
  /** The normalised sort and its key columns, for cursors. */
  order: string;
  keyColumns: number;
  /** How the reader sees encrypted values (default: masked). */
  showSensitive?: ShowSensitive;
}

interface Cursor {
  o: string;
  k: (string | null)[];
}

const q = (id: string) => pg.escapeIdentifier(id);

/** Parses the query string against the table's columns; throws a 400 naming what is accepted. */
export function buildTableQuery(table: GoldTable, params: [string, string][]): TableQuery {
  const names = table.columns.map((c) => c.name);
  const known = new Set(names);
  const given = new Map<string, string>();
  const filters: [column: string, op: keyof typeof OPERATORS, value: string][] = [];
  for (const [key, value] of params) {
    if ((RESERVED as readonly string[]).includes(key)) {
      if (given.has(key)) apiError(400, `"${key}" is given twice; give it once`);
      given.set(key, value);
      continue;
    }
    const match = /^(\w+)(?:\[(\w+)\])?$/.exec(key);
    const column = match?.[1];
    const op = match?.[2] ?? 'eq';
    if (!column || !known.has(column))
      apiError(
        400,
        `unknown filter "${clip(key)}"; filter on a column (${names.join(', ')}) or use ${RESERVED.join(', ')}`,
      );
    if (!Object.hasOwn(OPERATORS, op))
      apiError(
        400,
        `unknown operator "${clip(op)}" in "${clip(key)}"; use one of ${Object.keys(OPERATORS).join(', ')}`,
      );
    filters.push([column, op as keyof typeof OPERATORS, value]);
  }

  const format = (given.get('format') ?? 'json') as Format;
  if (!FORMATS.includes(format)) apiError(400, `format must be one of ${FORMATS.join(', ')}, got "${clip(format)}"`);
  const columnList = (key: 'fields' | 'order') => {
    const list = (given.get(key) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    for (const n of list)
      if (!known.has(n.replace(/^-/, '')) || (key === 'fields' && n.startsWith('-')))
        apiError(400, `unknown column "${clip(n)}" in ${key}; columns: ${names.join(', ')}`);
    if (new Set(list.map((n) => n.replace(/^-/, ''))).size !== list.length)
      apiError(400, `a column appears twice in ${key}`);
    return list;
  };
  const fields = given.has('fields') ? columnList('fields') : names;
  if (!fields.length) apiError(400, 'fields is empty; name at least one column');
  const sort = columnList('order');
  // Keyset paging needs a total order: the requested sort, then the primary key (or every column) as tie-breaker.
  const tieBreak = (table.primaryKey.length ? table.primaryKey : names).filter(
    (k) => !sort.some((s) => s.replace(/^-/, '') === k),
  );
  const keys = [...sort, ...tieBreak].map((s) => ({ column: s.replace(/^-/, ''), desc: s.startsWith('-') }));
  const order = sort.join(',');

  let limit: number | undefined = format === 'json' ? DEFAULT_LIMIT : undefined;
  if (given.has('limit')) {
    const max = format === 'json' ? MAX_JSON_LIMIT : MAX_STREAM_LIMIT;
    const raw = given.get('limit')!;
    const n = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= 1 && n <= max))
      apiError(
        400,
        `limit must be an integer between 1 and ${max}${format === 'json' ? ' (use format=csv, ndjson, arrow or parquet to export more)' : ''}, got "${clip(raw)}"`,
      );
    limit = n;
  }
  const count = given.get('count');
  if (count !== undefined && count !== 'exact') apiError(400, `count must be "exact", got "${clip(count)}"`);

  const values: unknown[] = [];
  const param = (v: unknown) => `$${values.push(v)}`;
  const where = filters.map(([column, op, value]) => `${q(column)} ${OPERATORS[op]} ${param(value)}`);
  if (given.has('cursor')) {
    const cursor = decodeCursor(given.get('cursor')!);
    if (cursor.o !== order || cursor.k.length !== keys.length)
      apiError(
        400,
        'the cursor belongs to a different sort order; keep "order" as it was, or drop "cursor" to start over',
      );
    // A primary-key column is never NULL: a cursor saying so was not given by this API.
    if (keys.some((k, i) => cursor.k[i] === null && table.primaryKey.includes(k.column)))
      apiError(400, 'cursor is not one this API gave; use the "nextCursor" of a previous page');
    where.push(`(${afterCursor(keys, cursor.k, param)})`);
  }
  const from = `${q(GOLD_SCHEMA)}.${q(table.name)}`;
  const whereSql = where.length ? ` where ${where.join(' and ')}` : '';
  const select = [...fields.map(q), ...keys.map((k, i) => `${q(k.column)}::text as ${q(`${KEY_ALIAS}${i}`)}`)].join(
    ', ',
  );
  // Ascending puts NULLs last and descending first, so a descending key is exactly the reverse of an ascending one.
  const orderBy = keys.map((k) => `${q(k.column)} ${k.desc ? 'desc nulls first' : 'asc nulls last'}`).join(', ');
  // One row past the page tells whether there is a next one.
  const fetch = limit === undefined ? '' : ` limit ${format === 'json' ? limit + 1 : limit}`;
  return {
    table: table.name,
    format,
    fields,
    types: Object.fromEntries(fields.map((f) => [f, table.columns.find((c) => c.name === f)!.type])),
    limit,
    order,
    keyColumns: keys.length,
    values,
    sql: `select ${select} from ${from}${whereSql} order by ${orderBy}${fetch}`,
    // The count leaves the cursor out: it is the total the filters match (one parameter per filter, numbered first).
    ...(count
      ? {
          countSql: `select count(*)::bigint as total from ${from}${filters.length ? ` where ${where.slice(0, filters.length).join(' and ')}` : ''}`,
          countValues: values.slice(0, filters.length),
        }
      : {}),
  };
}

/**
 * Rows strictly after the cursor's key in the sort order: (k1 after v1) or (k1 = v1 and k2 after v2) or …, with NULLs
 * placed last ascending and first descending, as in the ORDER BY. Values are text; PostgreSQL casts them to each
 * column's type.
 */
function afterCursor(
  keys: { column: string; desc: boolean }[],
  values: (string | null)[],
  param: (v: unknown) => string,
): string {
  const equal = (i: number) =>
    values[i] === null ? `${q(keys[i]!.column)} is null` : `${q(keys[i]!.column)} = ${param(values[i])}`;
  const after = (i: number): string | undefined => {
    const c = q(keys[i]!.column);
    if (values[i] === null) return keys[i]!.desc ? `${c} is not null` : undefined;
    return keys[i]!.desc ? `${c} < ${param(values[i])}` : `(${c} > ${param(values[i])} or ${c} is null)`;
  };
  const terms: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    if (values[i] === null && !keys[i]!.desc) continue; // nothing sorts after a NULL ascending
    const equals = Array.from({ length: i }, (_, j) => equal(j));
    terms.push([...equals, after(i)!].join(' and '));
  }
  return terms.length ? terms.map((t) => `(${t})`).join(' or ') : 'false';
}

/** The cursor of the page after `lastRow` (a row selected by `query.sql`, key aliases included). */
export function cursorAfter(query: TableQuery, lastRow: Record<string, unknown>): string {
  const k = Array.from({ length: query.keyColumns }, (_, i) => (lastRow[`${KEY_ALIAS}${i}`] ?? null) as string | null);
  return Buffer.from(JSON.stringify({ o: query.order, k } satisfies Cursor)).toString('base64url');
}

/** The row without its key aliases. */
export function publicRow(query: TableQuery, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const show = query.showSensitive ?? masked;
  for (const f of query.fields) {
    const value = row[f];
    out[f] = typeof value === 'string' && value.startsWith('enc:') ? show(value) : value;
  }
  return out;
}

function decodeCursor(text: string): Cursor {
  const bad = () => apiError(400, 'cursor is not one this API gave; use the "nextCursor" of a previous page');
  if (!/^[\w-]{1,4000}$/.test(text)) bad();
  let cursor: unknown;
  try {
    cursor = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    bad();
  }
  const c = cursor as Cursor;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.o !== 'string' ||
    !Array.isArray(c.k) ||
    !c.k.every((v) => v === null || typeof v === 'string')
  )
    bad();
  return c;
}

/** Echoes at most 60 characters of client input in messages. */
const clip = (s: string) => (s.length > 60 ? `${s.slice(0, 60)}…` : s);
