// `pnpm new:table <layer>.<name> --from <table>`: a table folder reading one input, with a table test that runs as
// generated, fed by the sample of the source at the root of the input's lineage.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../core/config.ts';
import { TerminalError } from '../../core/errors.ts';
import { SOURCES, SOURCES_ROOT } from '../../ingest/sources/index.ts';
import { keyOf, loadAllTables } from '../../jobs/registry.ts';
import { formatted, NAME_PATTERN, writeAll } from './scaffold-source.ts';
import { passThroughFiles } from './table-files.ts';

export async function scaffoldTable(table: string, from: string, root = PROJECT_ROOT): Promise<string[]> {
  const [layer, name] = table.split('.');
  if ((layer !== 'silver' && layer !== 'gold') || !name || !NAME_PATTERN.test(name))
    throw new TerminalError(
      `Name the table <layer>.<name>, layer silver or gold, name in lower-case letters, digits and _`,
    );
  const dir = path.join(root, layer, 'tables', name);
  if (existsSync(dir)) throw new TerminalError(`${path.relative(root, dir)} already exists; choose another name`);
  const tables = await loadAllTables(root);
  if (tables.some((t) => t.name === name)) throw new TerminalError(`A table named ${name} exists already`);
  const input = from.startsWith('bronze.') ? undefined : tables.find((t) => keyOf(t) === from);
  if (!from.startsWith('bronze.') && !input)
    throw new TerminalError(
      `--from ${from}: no such table; use bronze.<source> or one of ${tables.map(keyOf).join(', ')}`,
    );
  const source = rootSource(from, tables);
  if (!SOURCES[source]) throw new TerminalError(`--from ${from}: no source "${source}" in ingest/sources/`);
  const sample = path.join(SOURCES_ROOT, source, 'fixtures', 'sample.ts');
  if (!existsSync(sample))
    throw new TerminalError(
      `The table's test feeds it the ${source} sample, and ${path.relative(root, sample)} is missing: ` +
        'add one exporting SAMPLE (records as the collector yields them), as `pnpm new:source` does',
    );
  const files = passThroughFiles({
    layer,
    name,
    from,
    primaryKey: input ? input.primaryKey : ['event_id'],
    source,
  });
  return formatted(
    root,
    writeAll(root, Object.fromEntries(Object.entries(files).map(([f, t]) => [path.join(dir, f), t]))),
  );
}

/** The source at the root of a table's lineage: the first bronze input found walking up its inputs. */
function rootSource(from: string, tables: { layer: string; name: string; from: string[] }[]): string {
  let current = from;
  for (let hops = 0; hops < 50; hops++) {
    if (current.startsWith('bronze.')) return current.slice('bronze.'.length);
    const table = tables.find((t) => `${t.layer}.${t.name}` === current);
    const next = table?.from.find((f) => f.startsWith('bronze.')) ?? table?.from[0];
    if (!next) break;
    current = next;
  }
  throw new TerminalError(`${from} reads no bronze table, so no source sample can feed its test`);
}
