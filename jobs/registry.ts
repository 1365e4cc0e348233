// Finds table definitions: each table is a folder `<layer>/tables/<name>/` holding `<name>.table.ts` and `<name>.sql`.
// A folder may also declare a family (an array of specs sharing the SQL file, told apart by `params`).
import { SENSITIVITIES } from '../core/sensitive.ts';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { config, PROJECT_ROOT } from '../core/config.ts';
import { importSource } from '../core/modules.ts';
import { readFileSources } from '../ingest/file-sources.ts';
import { fileTables } from './file-tables.ts';
import { sqlString } from '../core/duckdb.ts';
import { TerminalError } from '../core/errors.ts';
import { EXPECTATION_ACTIONS, WRITE_MODES, type TableDefinition, type TableSpec } from './table-spec.ts';

export const JOB_LAYERS = ['silver', 'gold'] as const;
export type JobLayer = (typeof JOB_LAYERS)[number];

/** Loads every table of a layer, checking each definition up front. */
export async function loadTables(layer: JobLayer, root = PROJECT_ROOT): Promise<TableDefinition[]> {
  const dir = path.join(root, layer, 'tables');
  if (!existsSync(dir)) return [];
  const tables: TableDefinition[] = [];
  for (const folder of readdirSync(dir).sort()) {
    const specPath = path.join(dir, folder, `${folder}.table.ts`);
    const sqlPath = path.join(dir, folder, `${folder}.sql`);
    if (!existsSync(specPath)) continue;
    const exported = ((await importSource(specPath)) as { default?: TableSpec | TableSpec[] }).default;
    if (!exported)
      throw new TerminalError(
        `${specPath} has no default export; export the table's spec with \`export default { … } satisfies TableSpec\``,
      );
    if (!existsSync(sqlPath)) throw new TerminalError(`${specPath}: missing SQL file ${sqlPath}`);
    const sql = readFileSync(sqlPath, 'utf8');
    const family = Array.isArray(exported);
    for (const spec of family ? exported : [exported]) {
      tables.push({ ...validate(spec, specPath, layer, folder, family), sql: withParams(sql, spec, sqlPath), sqlPath });
    }
  }
  if (layer !== 'silver') return tables;
  // Declared file sources get a silver table each, unless a folder of the same name gives it SQL of its own.
  const declared = config().fileSources;
  const generated = fileTables(
    readFileSources(declared),
    path.relative(root, declared) || declared,
    tables.map((t) => t.name),
  );
  return [...tables, ...generated];
}

/** Every silver and gold table, in dependency order. */
export async function loadAllTables(root = PROJECT_ROOT): Promise<TableDefinition[]> {
  return topologicalOrder([...(await loadTables('silver', root)), ...(await loadTables('gold', root))]);
}

function withParams(sql: string, spec: TableSpec, sqlPath: string): string {
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = spec.params?.[name];
    if (value === undefined)
      throw new TerminalError(`${sqlPath} uses {{${name}}} but table ${spec.name} has no params.${name}`);
    return sqlString(value);
  });
}

function validate(spec: TableSpec, file: string, layer: string, folder: string, family: boolean): TableSpec {
  const problems: string[] = [];
  if (family ? !spec.name?.startsWith(`${folder}_`) : spec.name !== folder) {
    problems.push(
      family
        ? `name "${spec.name}" must start with its folder name "${folder}_"`
        : `name "${spec.name}" must equal its folder name "${folder}"`,
    );
  }
  if (spec.layer !== layer) problems.push(`layer "${spec.layer}" must be "${layer}" (the folder it lives in)`);
  if (!WRITE_MODES.includes(spec.writeMode))
    problems.push(`writeMode "${spec.writeMode}" must be one of ${WRITE_MODES.join(', ')}`);
  if (spec.writeMode !== 'view' && !spec.primaryKey?.length) problems.push('primaryKey must name at least one column');
  if (spec.writeMode === 'scd2' && !spec.scd2?.validFrom)
    problems.push('writeMode "scd2" needs scd2: { validFrom: "<column>" }');
  if (spec.writeMode === 'scd2' && spec.partitionBy)
    problems.push('an scd2 table keeps whole histories; remove partitionBy');
  if (spec.writeMode === 'view' && (spec.partitionBy || spec.expectations))
    problems.push('a view has no files: remove partitionBy and expectations');
  if (spec.writeMode === 'window') problems.push(...windowProblems(spec));
  else if (spec.window) problems.push('window: { … } belongs to writeMode "window"');
  for (const input of spec.from ?? [])
    if (!/^(bronze|silver|gold)\.\w+$/.test(input)) problems.push(`input "${input}" must be <layer>.<table>`);
  for (const [rule, e] of Object.entries(spec.expectations ?? {})) {
    if (!EXPECTATION_ACTIONS.includes(e.action))
      problems.push(`expectation ${rule}: action "${e.action}" must be one of ${EXPECTATION_ACTIONS.join(', ')}`);
  }
  for (const [column, sensitivity] of Object.entries(spec.sensitive ?? {})) {
    if (!SENSITIVITIES.includes(sensitivity))
      problems.push(`sensitive.${column}: "${sensitivity}" must be one of ${SENSITIVITIES.join(', ')}`);
    else if (sensitivity !== 'hash' && [...(spec.primaryKey ?? []), spec.partitionBy].includes(column))
      problems.push(
        `sensitive.${column}: a key or partition column can only be hashed (encryption is random, a dropped column is gone)`,
      );
  }
  if (spec.writeMode === 'view' && spec.sensitive)
    problems.push('a view writes nothing: protect the columns in the tables that read it');
  if (problems.length)
    throw new TerminalError(`Invalid table definition ${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return spec;
}

const WINDOW_MEASURES = ['first', 'last', 'min', 'max', 'sum', 'count'];

function windowProblems(spec: TableSpec): string[] {
  const w = spec.window;
  if (!w) return ['writeMode "window" needs window: { eventTime, size, lateness, groupBy, measures }'];
  const problems: string[] = [];
  const interval = /^\d+ (second|minute|hour|day)s?$/;
  if (!w.eventTime) problems.push('window.eventTime must name the event-time column');
  if (!interval.test(w.size ?? ''))
    problems.push(`window.size "${w.size}" must be an interval like '1 minute' or '1 hour'`);
  if (!interval.test(w.lateness ?? ''))
    problems.push(`window.lateness "${w.lateness}" must be an interval like '5 minutes'`);
  const key = [...(w.groupBy ?? []), 'period_start'];
  if (spec.primaryKey?.join() !== key.join())
    problems.push(`primaryKey must be [${key.map((k) => `'${k}'`).join(', ')}] (window.groupBy, then period_start)`);
  for (const [column, measure] of Object.entries(w.measures ?? {})) {
    const kinds = Object.keys(measure);
    if (kinds.length !== 1 || !WINDOW_MEASURES.includes(kinds[0]!))
      problems.push(
        `window.measures.${column} must be one of { ${WINDOW_MEASURES.map((m) => `${m}: …`).join(' | ')} }`,
      );
  }
  if (!Object.keys(w.measures ?? {}).length) problems.push('window.measures must declare at least one column');
  return problems;
}

export const keyOf = (t: { layer: string; name: string }) => `${t.layer}.${t.name}`;

/** Orders tables so each runs after the tables it reads (inputs outside the list are taken as given). */
export function topologicalOrder(tables: TableDefinition[]): TableDefinition[] {
  const byName = new Map(tables.map((t) => [keyOf(t), t]));
  const ordered: TableDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, trail: string[]) => {
    const table = byName.get(key);
    if (!table || state.get(key) === 'done') return;
    if (state.get(key) === 'visiting')
      throw new TerminalError(`Tables depend on each other in a cycle: ${[...trail, key].join(' → ')}`);
    state.set(key, 'visiting');
    for (const input of table.from) visit(input, [...trail, key]);
    state.set(key, 'done');
    ordered.push(table);
  };
  for (const key of byName.keys()) visit(key, []);
  return ordered;
}
