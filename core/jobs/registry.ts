// Finds table definitions: each table is a folder `<layer>/tables/<name>/` holding `<name>.table.ts` and `<name>.sql`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROJECT_ROOT } from '../config.ts';
import { TerminalError } from '../errors.ts';
import { EXPECTATION_ACTIONS, WRITE_MODES, type TableDefinition, type TableSpec } from './table-spec.ts';

/** Loads every table of a layer, checking each definition up front. */
export async function loadTables(layer: 'silver' | 'gold', root = PROJECT_ROOT): Promise<TableDefinition[]> {
  const dir = path.join(root, layer, 'tables');
  if (!existsSync(dir)) return [];
  const tables: TableDefinition[] = [];
  for (const name of readdirSync(dir).sort()) {
    const specPath = path.join(dir, name, `${name}.table.ts`);
    const sqlPath = path.join(dir, name, `${name}.sql`);
    if (!existsSync(specPath)) continue;
    const spec = ((await import(pathToFileURL(specPath).href)) as { default?: TableSpec }).default;
    if (!spec) throw new TerminalError(`${specPath} has no default export; export the table's spec with \`export default { … } satisfies TableSpec\``);
    if (!existsSync(sqlPath)) throw new TerminalError(`${spec.name}: missing SQL file ${sqlPath}`);
    tables.push({ ...validate(spec, specPath, layer, name), sql: readFileSync(sqlPath, 'utf8'), sqlPath });
  }
  return tables;
}

function validate(spec: TableSpec, file: string, layer: string, folder: string): TableSpec {
  const problems: string[] = [];
  if (spec.name !== folder) problems.push(`name "${spec.name}" must equal its folder name "${folder}"`);
  if (spec.layer !== layer) problems.push(`layer "${spec.layer}" must be "${layer}" (the folder it lives in)`);
  if (!WRITE_MODES.includes(spec.writeMode)) problems.push(`writeMode "${spec.writeMode}" must be one of ${WRITE_MODES.join(', ')}`);
  if (!spec.primaryKey?.length) problems.push('primaryKey must name at least one column');
  for (const input of spec.from ?? []) if (!/^(bronze|silver|gold)\.\w+$/.test(input)) problems.push(`input "${input}" must be <layer>.<table>`);
  for (const [rule, e] of Object.entries(spec.expectations ?? {})) {
    if (!EXPECTATION_ACTIONS.includes(e.action)) problems.push(`expectation ${rule}: action "${e.action}" must be one of ${EXPECTATION_ACTIONS.join(', ')}`);
  }
  if (problems.length) throw new TerminalError(`Invalid table definition ${file}:\n${problems.map((p) => `- ${p}`).join('\n')}`);
  return spec;
}

/** Orders tables so each runs after the tables it reads (inputs outside the list are taken as given). */
export function topologicalOrder(tables: TableDefinition[]): TableDefinition[] {
  const byName = new Map(tables.map((t) => [`${t.layer}.${t.name}`, t]));
  const ordered: TableDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (key: string, trail: string[]) => {
    const table = byName.get(key);
    if (!table || state.get(key) === 'done') return;
    if (state.get(key) === 'visiting') throw new TerminalError(`Tables depend on each other in a cycle: ${[...trail, key].join(' → ')}`);
    state.set(key, 'visiting');
    for (const input of table.from) visit(input, [...trail, key]);
    state.set(key, 'done');
    ordered.push(table);
  };
  for (const key of byName.keys()) visit(key, []);
  return ordered;
}
