// What the API may query: the gold tables PostgreSQL serves, their columns and primary keys, read from PostgreSQL's
// own catalog. Table and column names reach SQL only when they are found here. Cached for a few seconds, and dropped
// at once when a gold load announces a swap (see LiveFeed).
import type { Pool } from '../core/postgres.ts';
import { GOLD_SCHEMA, isStaging } from '../gold/served.ts';

export interface GoldColumn {
  name: string;
  type: string;
  description: string | null;
}

export interface GoldTable {
  name: string;
  description: string | null;
  columns: GoldColumn[];
  /** Primary-key columns in key order (every gold table is loaded with one); the tie-breaker of cursor paging. */
  primaryKey: string[];
}

/** Staging tables of an ongoing load are never served. */

export class GoldCatalog {
  private cached?: { at: number; tables: Promise<Map<string, GoldTable>> };

  constructor(
    private readonly pool: Pool,
    private readonly ttlMillis = 5000,
  ) {}

  /** Forgets what it knows: the next call reads PostgreSQL's catalog again. */
  invalidate(): void {
    this.cached = undefined;
  }

  async tables(): Promise<GoldTable[]> {
    return [...(await this.load()).values()];
  }

  /** The table named so, or undefined for any name PostgreSQL does not serve as a gold table. */
  async table(name: string): Promise<GoldTable | undefined> {
    return (await this.load()).get(name);
  }

  private load(): Promise<Map<string, GoldTable>> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMillis) return this.cached.tables;
    const tables = this.read();
    this.cached = { at: Date.now(), tables };
    tables.catch(() => (this.cached = undefined));
    return tables;
  }

  private async read(): Promise<Map<string, GoldTable>> {
    const { rows } = await this.pool.query<{
      table_name: string;
      table_description: string | null;
      name: string;
      type: string;
      description: string | null;
      key_position: number | null;
    }>(
      `select c.relname as table_name, obj_description(c.oid, 'pg_class') as table_description,
              a.attname as name, format_type(a.atttypid, a.atttypmod) as type, col_description(a.attrelid, a.attnum) as description,
              array_position(i.indkey::int2[], a.attnum) as key_position
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
         left join pg_index i on i.indrelid = c.oid and i.indisprimary
        where n.nspname = $1 and c.relkind = 'r'
        order by c.relname, a.attnum`,
      [GOLD_SCHEMA],
    );
    const tables = new Map<string, GoldTable & { keyed: [number, string][] }>();
    for (const row of rows) {
      if (isStaging(row.table_name)) continue;
      let table = tables.get(row.table_name);
      if (!table) {
        table = { name: row.table_name, description: row.table_description, columns: [], primaryKey: [], keyed: [] };
        tables.set(row.table_name, table);
      }
      table.columns.push({ name: row.name, type: row.type, description: row.description });
      if (row.key_position !== null) table.keyed.push([row.key_position, row.name]);
    }
    return new Map(
      [...tables].map(([name, { keyed, ...table }]) => [
        name,
        { ...table, primaryKey: keyed.sort((a, b) => a[0] - b[0]).map(([, column]) => column) },
      ]),
    );
  }
}
