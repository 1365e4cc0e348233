import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTables, topologicalOrder } from './registry.ts';
import type { TableDefinition } from './table-spec.ts';

const table = (name: string, from: string[]): TableDefinition =>
  ({ name, layer: 'silver', from, primaryKey: ['id'], writeMode: 'replace', description: '', sql: '', sqlPath: '' });

describe('topologicalOrder', () => {
  it('runs each table after the tables it reads', () => {
    const order = topologicalOrder([table('c', ['silver.b']), table('b', ['silver.a', 'bronze.x']), table('a', ['bronze.x'])]);
    assert.deepEqual(order.map((t) => t.name), ['a', 'b', 'c']);
  });

  it('names a cycle instead of looping', () => {
    assert.throws(() => topologicalOrder([table('a', ['silver.b']), table('b', ['silver.a'])]), /cycle: silver\.a → silver\.b → silver\.a/);
  });
});

describe('loadTables', () => {
  it('finds the project tables, each with its SQL', async () => {
    const silver = await loadTables('silver');
    assert.deepEqual(silver.map((t) => [t.name, t.from]), [['weather_observations', ['bronze.weather']]]);
    assert.match(silver[0]!.sql, /from bronze\.weather/);
    assert.deepEqual((await loadTables('gold')).map((t) => t.name), ['weather_daily']);
  });
});
