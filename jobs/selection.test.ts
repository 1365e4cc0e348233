import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectTables } from './selection.ts';
import type { TableDefinition } from './table-spec.ts';

const t = (layer: 'silver' | 'gold', name: string, from: string[]): TableDefinition => ({
  name,
  layer,
  from,
  primaryKey: ['id'],
  writeMode: 'replace',
  description: '',
  sql: '',
  sqlPath: '',
});
// bronze.x → silver.a → silver.b → gold.c ; silver.a → gold.d ; bronze.y → silver.e
const GRAPH = [
  t('silver', 'a', ['bronze.x']),
  t('silver', 'b', ['silver.a']),
  t('gold', 'c', ['silver.b']),
  t('gold', 'd', ['silver.a']),
  t('silver', 'e', ['bronze.y']),
];
const names = (expressions: string[]) => selectTables(GRAPH, expressions).map((x) => `${x.layer}.${x.name}`);

describe('selectTables', () => {
  it('selects one table by bare or qualified name', () => {
    assert.deepEqual(names(['b']), ['silver.b']);
    assert.deepEqual(names(['gold.c']), ['gold.c']);
  });
  it('name+ adds everything downstream, across layers, in dependency order', () => {
    assert.deepEqual(names(['a+']), ['silver.a', 'silver.b', 'gold.c', 'gold.d']);
  });
  it('+name adds everything upstream', () => {
    assert.deepEqual(names(['+c']), ['silver.a', 'silver.b', 'gold.c']);
  });
  it('combines expressions and names unknown tables with the known ones', () => {
    assert.deepEqual(names(['e', '+d']), ['silver.a', 'gold.d', 'silver.e']);
    assert.throws(
      () => names(['nope']),
      /no table named "nope"; known: silver\.a, silver\.b, gold\.c, gold\.d, silver\.e/,
    );
  });
});
