// `--select` over the dependency graph, as dbt spells it: `name` (that table), `name+` (it and everything downstream),
// `+name` (everything it reads, then it). Names may be bare when unique, or qualified (`gold.weather_daily`).
import { TerminalError } from '../core/errors.ts';
import { keyOf } from './registry.ts';
import type { TableDefinition } from './table-spec.ts';

/** The tables a selection names, kept in the given (dependency) order. */
export function selectTables(ordered: TableDefinition[], expressions: string[]): TableDefinition[] {
  const chosen = new Set<string>();
  for (const raw of expressions) {
    const expression = raw.trim();
    const upstream = expression.startsWith('+');
    const downstream = expression.endsWith('+');
    const name = expression.replace(/^\+|\+$/g, '');
    const key = resolve(ordered, name);
    chosen.add(key);
    if (upstream) for (const k of ancestors(ordered, key)) chosen.add(k);
    if (downstream) for (const k of descendants(ordered, key)) chosen.add(k);
  }
  return ordered.filter((t) => chosen.has(keyOf(t)));
}

function resolve(ordered: TableDefinition[], name: string): string {
  const matches = ordered.filter((t) => keyOf(t) === name || t.name === name);
  if (matches.length === 1) return keyOf(matches[0]!);
  if (matches.length > 1)
    throw new TerminalError(
      `--select ${name} is ambiguous: ${matches.map(keyOf).join(' or ')}; qualify it with its layer`,
    );
  throw new TerminalError(`--select: no table named "${name}"; known: ${ordered.map(keyOf).join(', ')}`);
}

function ancestors(ordered: TableDefinition[], key: string, seen = new Set<string>()): Set<string> {
  const table = ordered.find((t) => keyOf(t) === key);
  for (const input of table?.from ?? []) {
    if (seen.has(input) || !ordered.some((t) => keyOf(t) === input)) continue;
    seen.add(input);
    ancestors(ordered, input, seen);
  }
  return seen;
}

function descendants(ordered: TableDefinition[], key: string, seen = new Set<string>()): Set<string> {
  for (const t of ordered) {
    if (t.from.includes(key) && !seen.has(keyOf(t))) {
      seen.add(keyOf(t));
      descendants(ordered, keyOf(t), seen);
    }
  }
  return seen;
}
