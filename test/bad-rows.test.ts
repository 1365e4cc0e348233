// Bad rows never block a gold load, and a load that does fail says so everywhere. City names from real places keep
// their spelling and group as one city whether they arrive composed or decomposed (Unicode NFC, decision 0030).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { envFor } from '../core/config.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable } from '../lake/lake-views.ts';
import { createApp } from '../serving/app.ts';
import { runBatch } from '../pipeline/run-batch.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { runPnpm } from './support/cli.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const NAMES = [
  'Saint-Étienne',
  "L'Haÿ-les-Roses",
  "'s-Hertogenbosch",
  'Rio de Janeiro',
  'McAllen',
  'İstanbul',
  'São Paulo',
  'Köln',
];

const listing = (id: string, city: string | null, priceM2 = 4000) => ({
  key: `api:${id}`,
  observedAt: '2026-11-12T09:00:00Z',
  payload: {
    listing_id: id,
    city,
    price_eur: priceM2 * 50,
    surface_m2: 50,
    rooms: 2,
    updated_at: '2026-11-12T09:00:00Z',
  },
});

interface Quality {
  tables: {
    table: string;
    status: string;
    quarantinedTotal: number;
    lastLoad: { status: string; error: string | null } | null;
  }[];
}

describe('bad rows and real names on their way to PostgreSQL', { timeout: 300_000 }, () => {
  let env: Isolated;
  const quality = async (): Promise<Quality> => {
    const app = createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0 } });
    const res = await app.request('/v1/quality');
    assert.equal(res.status, 200);
    return (await res.json()) as Quality;
  };
  const tableOf = (q: Quality, name: string) => q.tables.find((t) => t.table === name)!;

  before(async () => {
    env = await isolatedRuntime();
    await loadBronze(env.rt, 'listings', [
      // Each name composed (NFC) and decomposed (NFD), one with its spaces doubled and a no-break space.
      ...NAMES.flatMap((name, i) => [
        listing(`c${i}`, name.normalize('NFC')),
        listing(`d${i}`, ` ${name.normalize('NFD').replace(/ /g, '\u00a0 ')} `, 5000),
      ]),
      listing('null-city', null),
      listing('blank-city', ' \u00a0 '),
      listing('paris-1', 'Paris'),
      listing('paris-2', 'PARIS'),
    ]);
  });
  after(async () => env?.cleanup());

  const lakeRows = (table: string, sql: string) =>
    withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'silver', name: table });
      return (await duck.allJson(sql)).rows;
    });

  it('quarantines a listing with a null or blank city with its reason, loads gold, and `pnpm job:gold` exits 0', async () => {
    const silver = await runPnpm('job:silver', [], envFor(env.config));
    assert.equal(silver.code, 0, silver.output);
    const gold = await runPnpm('job:gold', [], envFor(env.config));
    assert.equal(gold.code, 0, gold.output);
    assert.deepEqual(
      await lakeRows(
        'listings__quarantine',
        'select listing_id, broken_rules from silver.listings__quarantine order by listing_id',
      ),
      [
        { listing_id: 'blank-city', broken_rules: ['city_present'] },
        { listing_id: 'null-city', broken_rules: ['city_present'] },
      ],
    );
    const q = await quality();
    assert.equal(tableOf(q, 'silver.listings').quarantinedTotal, 2);
    assert.equal(tableOf(q, 'gold.listings_price_m2').status, 'succeeded');
    assert.equal(tableOf(q, 'gold.listings_price_m2').lastLoad?.status, 'succeeded');
  });

  it('keeps every name as spelled, composed or not, and groups each as one city', async () => {
    const { rows } = await env.rt.pool.query<{ city: string; listings: number; price_m2_median: number }>(
      'select city, listings, price_m2_median from gold.listings_price_m2 order by city',
    );
    const expected = [
      ...NAMES.map((name) => ({ city: name.normalize('NFC'), listings: 2, price_m2_median: 4500 })),
      { city: 'Paris', listings: 2, price_m2_median: 4000 },
    ].sort((a, b) => (a.city < b.city ? -1 : 1));
    assert.deepEqual(rows, expected);
    // Every silver spelling is the NFC form, with one space between words.
    const silver = await lakeRows('listings', 'select distinct city from silver.listings order by city');
    assert.deepEqual(
      silver.map((r) => r.city),
      [...NAMES.map((n) => n.normalize('NFC')), 'PARIS', 'Paris'].sort((a, b) => (a < b ? -1 : 1)),
    );
  });

  it('shows a load that fails as failed in /v1/quality and exits 1, naming the fix', async () => {
    // A user's own view on a served table keeps the loader from replacing it.
    await env.rt.pool.query('create view public.my_cities as select city from gold.listings_price_m2');
    try {
      await loadBronze(env.rt, 'listings', [listing('late', 'Lyon')]);
      assert.equal((await runBatch(env.rt, { layers: ['silver'] })).ok, true);
      const run = await runPnpm('job:gold', [], envFor(env.config));
      assert.equal(run.code, 1, run.output);
      assert.match(run.output, /view my_cities depends on table gold\.listings_price_m2; drop it/);
      const table = tableOf(await quality(), 'gold.listings_price_m2');
      assert.equal(table.status, 'failed');
      assert.equal(table.lastLoad?.status, 'failed');
      const batch = await runBatch(env.rt, { layers: ['gold'] });
      assert.equal(batch.ok, false);
    } finally {
      await env.rt.pool.query('drop view public.my_cities');
    }
    const batch = await runBatch(env.rt, { layers: ['gold'] });
    assert.equal(batch.ok, true, JSON.stringify(batch.loads));
    assert.equal(tableOf(await quality(), 'gold.listings_price_m2').status, 'succeeded');
  });
});
