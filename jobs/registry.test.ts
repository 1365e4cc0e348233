import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadTables, topologicalOrder } from './registry.ts';
import type { TableDefinition } from './table-spec.ts';

const table = (name: string, from: string[]): TableDefinition => ({
  name,
  layer: 'silver',
  from,
  primaryKey: ['id'],
  writeMode: 'replace',
  description: '',
  sql: '',
  sqlPath: '',
});

describe('topologicalOrder', () => {
  it('runs each table after the tables it reads', () => {
    const order = topologicalOrder([
      table('c', ['silver.b']),
      table('b', ['silver.a', 'bronze.x']),
      table('a', ['bronze.x']),
    ]);
    assert.deepEqual(
      order.map((t) => t.name),
      ['a', 'b', 'c'],
    );
  });

  it('names a cycle instead of looping', () => {
    assert.throws(
      () => topologicalOrder([table('a', ['silver.b']), table('b', ['silver.a'])]),
      /cycle: silver\.a → silver\.b → silver\.a/,
    );
  });
});

describe('loadTables', () => {
  it('finds the project tables, each with its SQL, and expands a family with its params', async () => {
    const silver = await loadTables('silver');
    const weather = silver.find((t) => t.name === 'weather_observations')!;
    assert.deepEqual(weather.from, ['bronze.weather']);
    assert.match(weather.sql, /from bronze\.weather/);
    const bows = silver.find((t) => t.name === 'weapons_bow')!;
    assert.match(bows.sql, /= 'Bow'/);
    assert.equal(silver.filter((t) => t.name.startsWith('weapons_') && t.writeMode === 'merge').length, 6);
    assert.deepEqual((await loadTables('gold')).map((t) => t.name).sort(), [
      'bookmaker_payouts',
      'crypto_ohlc_hour',
      'crypto_ohlc_minute',
      'listings_price_m2',
      'odds_best_prices',
      'weapon_rankings',
      'weapon_rarity_counts',
      'weather_daily',
    ]);
  });
});
