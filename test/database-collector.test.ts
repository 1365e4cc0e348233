// The database collector against a real PostgreSQL table: keyset paging by cursor and key, resumed from saved state.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TerminalError } from '../core/errors.ts';
import { databaseCollector } from '../ingest/collectors/database/database-collector.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

describe('databaseCollector', () => {
  let env: Isolated;
  const saved = new Map<string, string>();
  const state = { get: async (k: string) => saved.get(k), propose: (k: string, v: string) => void saved.set(k, v) };
  before(async () => {
    env = await isolatedRuntime();
    await env.rt.pool.query(
      `create table legacy_listings (id int primary key, city text, price_eur numeric, updated_at timestamptz not null)`,
    );
    // 25 rows, five sharing each updated_at: ties the key must break.
    await env.rt.pool.query(
      `insert into legacy_listings select i, 'Lyon', 1000 * i, timestamptz '2026-11-01T00:00:00Z' + (i / 5) * interval '1 hour' from generate_series(1, 25) i`,
    );
  });
  after(async () => env?.cleanup());

  const collect = async (batchSize: number) => {
    const rows: { id: number; price_eur: number }[] = [];
    const collector = databaseCollector({
      connectionString: env.config.databaseUrl,
      table: 'legacy_listings',
      cursorColumn: 'updated_at',
      keyColumn: 'id',
      batchSize,
    });
    for await (const r of collector({ state })) rows.push(JSON.parse(r.text) as { id: number; price_eur: number });
    return rows;
  };

  it('reads every row once, in pages smaller than a tie group', async () => {
    const rows = await collect(3);
    assert.deepEqual(
      rows.map((r) => r.id).sort((a, b) => a - b),
      Array.from({ length: 25 }, (_, i) => i + 1),
    );
    assert.deepEqual(JSON.parse(saved.get('position')!), { cursor: '2026-11-01 05:00:00+00', key: '25' });
  });

  it('reads only rows added or changed since the saved position', async () => {
    await env.rt.pool.query(`insert into legacy_listings values (26, 'Paris', 990000, '2026-11-02T00:00:00Z')`);
    await env.rt.pool.query(
      `update legacy_listings set price_eur = 7777, updated_at = '2026-11-03T00:00:00Z' where id = 3`,
    );
    const rows = await collect(3);
    assert.deepEqual(
      rows.map((r) => [r.id, Number(r.price_eur)]),
      [
        [26, 990000],
        [3, 7777],
      ],
    );
    assert.deepEqual(await collect(3), []);
  });

  it('reads a query as well as a table, and checks its options and columns', async () => {
    saved.clear();
    const collector = databaseCollector({
      connectionString: env.config.databaseUrl,
      query: "select id, city, updated_at from legacy_listings where city = 'Paris'",
      cursorColumn: 'updated_at',
      keyColumn: 'id',
    });
    const texts: string[] = [];
    for await (const r of collector({ state })) texts.push(r.text);
    assert.deepEqual(
      texts.map((t) => (JSON.parse(t) as { id: number }).id),
      [26],
    );
    assert.throws(
      () =>
        databaseCollector({ connectionString: 'x', table: 't', query: 'select 1', cursorColumn: 'a', keyColumn: '' }),
      /exactly one of table or query[\s\S]*keyColumn breaks ties/,
    );
    const wrong = databaseCollector({
      connectionString: env.config.databaseUrl,
      table: 'legacy_listings',
      cursorColumn: 'modified',
      keyColumn: 'id',
    });
    await assert.rejects(
      async () => {
        for await (const _ of wrong()) void _;
      },
      (e: unknown) =>
        e instanceof TerminalError &&
        /column "modified" is not in the source; it has id, city, price_eur, updated_at/.test(e.message),
    );
  });
});
