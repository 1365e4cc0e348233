import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT } from '../core/config.ts';
import { loadAllTables, loadTables, topologicalOrder } from './registry.ts';
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
  it('finds a table per folder of a project, each with its SQL, and expands a family with its params', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'strata-registry-'));
    try {
      const folder = (layer: string, name: string, spec: string, sql: string) => {
        const dir = path.join(root, layer, 'tables', name);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, `${name}.table.ts`), `export default ${spec};\n`);
        writeFileSync(path.join(dir, `${name}.sql`), sql);
      };
      folder(
        'silver',
        'orders',
        `{ name: 'orders', layer: 'silver', from: ['bronze.shop'], primaryKey: ['id'], writeMode: 'merge', description: 'Orders' }`,
        'select 1 as id',
      );
      const family = ['eu', 'us'].map(
        (region) =>
          `{ name: 'region_${region}', layer: 'silver', from: ['silver.orders'], primaryKey: ['id'], writeMode: 'replace', description: '${region}', params: { region: '${region}' } }`,
      );
      folder('silver', 'region', `[${family.join(', ')}]`, 'select * from silver.orders where region = {{region}}');
      folder(
        'gold',
        'revenue',
        `{ name: 'revenue', layer: 'gold', from: ['silver.region_eu', 'silver.region_us'], primaryKey: ['day'], writeMode: 'replace', description: 'Revenue' }`,
        'select 1 as day',
      );
      writeFileSync(path.join(root, 'silver', 'tables', 'README.md'), 'not a table');

      const silver = await loadTables('silver', root);
      assert.deepEqual(
        silver.map((t) => t.name),
        ['orders', 'region_eu', 'region_us'],
      );
      assert.equal(silver.find((t) => t.name === 'region_us')!.sql, "select * from silver.orders where region = 'us'");
      assert.deepEqual(
        (await loadAllTables(root)).map((t) => `${t.layer}.${t.name}`),
        ['silver.orders', 'silver.region_eu', 'silver.region_us', 'gold.revenue'],
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("loads the project's own tables: every folder holding a definition gives at least one table with its SQL", async () => {
    for (const layer of ['silver', 'gold'] as const) {
      const dir = path.join(PROJECT_ROOT, layer, 'tables');
      const folders = readdirSync(dir).filter((f) => existsSync(path.join(dir, f, `${f}.table.ts`)));
      const tables = await loadTables(layer);
      for (const f of folders) {
        const own = tables.filter((t) => t.sqlPath === path.join(dir, f, `${f}.sql`));
        assert.ok(own.length > 0, `${layer}/tables/${f} gives no table`);
        for (const t of own) assert.ok(t.sql.trim().length > 0, `${layer}.${t.name} has no SQL`);
      }
    }
  });
});
