// The database collector: reads a PostgreSQL table or query incrementally, in batches, by a cursor column (e.g.
// updated_at) with a key column as tie-breaker (keyset paging: rows sharing a cursor value are neither skipped nor
// repeated). Each row's JSON (PostgreSQL's to_jsonb) is its raw text. The position is proposed after every page and
// saved by the runner once the run is published.
import pg from 'pg';
import { TerminalError, TransientError } from '../../../core/errors.ts';
import type { CollectContext, RawRecord } from '../../source.ts';

export interface DatabaseCollectorOptions {
  connectionString: string;
  /** A table (`schema.table` or `table`) … */
  table?: string;
  /** … or a query whose rows are read (without ORDER BY or LIMIT: the collector adds them). */
  query?: string;
  /** Column whose growing value marks new or changed rows. */
  cursorColumn: string;
  /** Unique column ordering rows that share a cursor value. */
  keyColumn: string;
  batchSize?: number;
}

interface Position {
  cursor: string;
  key: string;
}

const ident = (name: string) =>
  name
    .split('.')
    .map((part) => pg.escapeIdentifier(part))
    .join('.');

/** Checks the options up front, then returns the collector. */
export function databaseCollector(
  options: DatabaseCollectorOptions,
): (context?: Partial<CollectContext>) => AsyncGenerator<RawRecord> {
  const problems: string[] = [];
  if (!options.connectionString) problems.push('connectionString is required');
  if (!options.table === !options.query) problems.push('give exactly one of table or query');
  if (!options.cursorColumn || !options.keyColumn)
    problems.push('cursorColumn and keyColumn are required (keyColumn breaks ties between equal cursors)');
  if (options.query && /\b(order\s+by|limit)\b/i.test(options.query))
    problems.push('query must not ORDER BY or LIMIT: the collector pages it by cursor and key');
  if (problems.length)
    throw new TerminalError(`databaseCollector: invalid options:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  const source = options.table ? `select * from ${ident(options.table)}` : options.query!;
  const batchSize = options.batchSize ?? 5000;
  const cursor = pg.escapeIdentifier(options.cursorColumn);
  const key = pg.escapeIdentifier(options.keyColumn);

  return async function* collectDatabase(context: Partial<CollectContext> = {}): AsyncGenerator<RawRecord> {
    const client = new pg.Client({ connectionString: options.connectionString });
    try {
      await client.connect();
    } catch (error) {
      throw new TransientError(`databaseCollector: cannot connect to the source database`, { cause: error });
    }
    try {
      const fields = (await client.query(`select * from (${source}) s limit 0`)).fields;
      const typeOid = (c: string) => {
        const field = fields.find((f) => f.name === c);
        if (!field)
          throw new TerminalError(
            `databaseCollector: column "${c}" is not in the source; it has ${fields.map((f) => f.name).join(', ')}`,
          );
        return field.dataTypeID;
      };
      // Positions are kept as text and cast back to the columns' own types, so times compare as times.
      const { rows: typeRows } = await client.query<{ c: string; k: string }>(
        'select format_type($1, null) as c, format_type($2, null) as k',
        [typeOid(options.cursorColumn), typeOid(options.keyColumn)],
      );
      const types = typeRows[0]!;
      const saved = await context.state?.get('position');
      let position: Position | undefined = saved ? (JSON.parse(saved) as Position) : undefined;
      for (;;) {
        const where = position ? `where (s.${cursor}, s.${key}) > ($1::text::${types.c}, $2::text::${types.k})` : '';
        const { rows } = await client.query<{ __row: string; __cursor: string; __key: string }>(
          `select to_jsonb(s)::text as __row, s.${cursor}::text as __cursor, s.${key}::text as __key
             from (${source}) s ${where} order by s.${cursor}, s.${key} limit ${batchSize}`,
          position ? [position.cursor, position.key] : [],
        );
        for (const row of rows) yield { text: row.__row };
        if (rows.length === 0) break;
        const last = rows[rows.length - 1]!;
        position = { cursor: last.__cursor, key: last.__key };
        context.state?.propose('position', JSON.stringify(position));
        if (rows.length < batchSize) break;
      }
    } finally {
      await client.end().catch(() => {});
    }
  };
}
