// Every gold table on small fixtures, against values the test computes itself from the same records: weather per
// city and day, odds best prices and payout rates, crypto candles, weapons rankings, listings price per m².
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { withDuck } from '../core/duckdb.ts';
import { runJob } from '../jobs/job-runner.ts';
import { attachLake } from '../jobs/lake-session.ts';
import { attachTable } from '../lake/lake-views.ts';
import { loadGold } from '../gold/gold-job.ts';
import { generateOddsSite } from '../ingest/sources/odds/fixtures/generator.ts';
import { generateWiki } from '../ingest/sources/weapons/fixtures/wiki.ts';
import { loadBronze, type FixtureRecord } from './support/bronze-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
/** Continuous quantile with linear interpolation between the two nearest ranks. */
const quantile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  const position = p * (sorted.length - 1);
  const low = Math.floor(position);
  return sorted[low]! + (sorted[Math.min(low + 1, sorted.length - 1)]! - sorted[low]!) * (position - low);
};

// Weather: Paris has a correction (12 wins over 10) and an impossible later revision (quarantined; 8 stays).
const WEATHER = [
  {
    station_id: 'P1',
    city: 'Paris',
    observed_at: '2026-11-20T10:00:00Z',
    temperature_c: 10,
    precipitation_mm: 0,
    updated_at: '2026-11-20T10:05:00Z',
  },
  {
    station_id: 'P1',
    city: 'Paris',
    observed_at: '2026-11-20T10:00:00Z',
    temperature_c: 12,
    precipitation_mm: 0.2,
    updated_at: '2026-11-20T11:00:00Z',
  },
  {
    station_id: 'P1',
    city: 'Paris',
    observed_at: '2026-11-20T11:00:00Z',
    temperature_c: 14,
    precipitation_mm: 0.5,
    updated_at: '2026-11-20T11:05:00Z',
  },
  {
    station_id: 'P1',
    city: 'Paris',
    observed_at: '2026-11-21T09:00:00Z',
    temperature_c: 8,
    precipitation_mm: 1.2,
    updated_at: '2026-11-21T09:05:00Z',
  },
  {
    station_id: 'P1',
    city: 'Paris',
    observed_at: '2026-11-21T09:00:00Z',
    temperature_c: 999,
    precipitation_mm: 1.2,
    updated_at: '2026-11-21T12:00:00Z',
  },
  {
    station_id: 'L1',
    city: 'Lyon',
    observed_at: '2026-11-20T10:00:00Z',
    temperature_c: 9,
    precipitation_mm: 0,
    updated_at: '2026-11-20T10:05:00Z',
  },
  {
    station_id: 'L1',
    city: 'Lyon',
    observed_at: '2026-11-20T13:00:00Z',
    temperature_c: 11.5,
    precipitation_mm: 0.25,
    updated_at: '2026-11-20T13:05:00Z',
  },
].map((r) => ({ ...r, country: 'FR', humidity_pct: 70, wind_kph: 10 }));

const CRYPTO = [
  ['BTCUSDT', '2026-11-20T10:00:40Z', 101],
  ['BTCUSDT', '2026-11-20T09:59:30Z', 100],
  ['BTCUSDT', '2026-11-20T10:00:10Z', 104],
  ['BTCUSDT', '2026-11-20T09:59:50Z', 99],
  ['BTCUSDT', '2026-11-20T10:01:05Z', 103],
  ['BTCUSDT', '2026-11-20T10:00:20Z', 98],
  ['ETHUSDT', '2026-11-20T10:00:05Z', 3000],
  ['ETHUSDT', '2026-11-20T10:00:55Z', 3010],
  ['ETHUSDT', '2026-11-20T10:59:59Z', 2990],
].map(([symbol, ts, price]) => ({
  symbol: symbol as string,
  ts: ts as string,
  price: price as number,
  volume_24h: 1000,
}));

// Listings: L1 is in the API and the partner JSON at the same moment (the API wins), then drops its price; L2 is
// only in an agency CSV (sq ft, k€, upper-case town); L3 only in the legacy table (cents); L6 has an impossible surface.
const LISTINGS: { key: string; at: string; payload: Record<string, unknown> }[] = [
  {
    key: 'api:L1',
    at: '2026-11-02T09:00:00Z',
    payload: {
      listing_id: 'L1',
      city: 'Paris',
      price_eur: 500_000,
      surface_m2: 50,
      rooms: 2,
      updated_at: '2026-11-02T09:00:00Z',
    },
  },
  {
    key: 'partner-json:L1',
    at: '2026-11-02T09:00:00Z',
    payload: {
      id: 'L1',
      city: 'Paris',
      price: { amount: 500_000, currency: 'EUR' },
      area: { value: 50, unit: 'm2' },
      updated: '2026-11-02T09:00:00Z',
    },
  },
  {
    key: 'api:L1b',
    at: '2026-11-10T09:00:00Z',
    payload: {
      listing_id: 'L1',
      city: 'Paris',
      price_eur: 480_000,
      surface_m2: 50,
      rooms: 2,
      updated_at: '2026-11-10T09:00:00Z',
    },
  },
  {
    key: 'agency-csv:L2',
    at: '2026-11-05T00:00:00Z',
    payload: { ref: 'L2', town: 'PARIS', price: '300 k€', surface_sqft: '430', updated: '2026-11-05' },
  },
  {
    key: 'legacy:L3',
    at: '2026-11-06T08:00:00Z',
    payload: {
      legacy_id: 'L3',
      town: 'Lyon',
      price_cents: 25_000_000,
      area_m2: 50,
      modified_at: '2026-11-06T08:00:00Z',
    },
  },
  {
    key: 'api:L4',
    at: '2026-11-07T09:00:00Z',
    payload: {
      listing_id: 'L4',
      city: 'Lyon',
      price_eur: 200_000,
      surface_m2: 40,
      rooms: 2,
      updated_at: '2026-11-07T09:00:00Z',
    },
  },
  {
    key: 'api:L5',
    at: '2026-10-30T09:00:00Z',
    payload: {
      listing_id: 'L5',
      city: 'Lyon',
      price_eur: 330_000,
      surface_m2: 60,
      rooms: 3,
      updated_at: '2026-10-30T09:00:00Z',
    },
  },
  {
    key: 'api:L7',
    at: '2026-11-08T09:00:00Z',
    payload: {
      listing_id: 'L7',
      city: 'Lyon',
      price_eur: 410_000,
      surface_m2: 70,
      rooms: 3,
      updated_at: '2026-11-08T09:00:00Z',
    },
  },
  {
    key: 'api:L6',
    at: '2026-11-08T09:00:00Z',
    payload: {
      listing_id: 'L6',
      city: 'Lyon',
      price_eur: 150_000,
      surface_m2: 0,
      rooms: 1,
      updated_at: '2026-11-08T09:00:00Z',
    },
  },
];

describe("gold tables on small fixtures equal the test's own computation", { timeout: 180_000 }, () => {
  let env: Isolated;
  const odds = generateOddsSite().flatMap((p) => p.rows.map((r) => ({ ...r, league: p.league.name })));

  before(async () => {
    env = await isolatedRuntime();
    const rt = env.rt;
    await loadBronze(
      rt,
      'weather',
      WEATHER.map((r, i) => ({ key: `${r.station_id}|${r.observed_at}|${i}`, observedAt: r.observed_at, payload: r })),
    );
    await loadBronze(
      rt,
      'odds',
      odds.map((r) => ({
        key: `${r.league}|${r.home}|${r.away}|${r.kickoff}|${r.bookmaker}`,
        observedAt: r.updated_at,
        payload: r,
      })),
    );
    await loadBronze(
      rt,
      'crypto',
      CRYPTO.map((t) => ({ key: `${t.symbol}|${t.ts}`, observedAt: t.ts, payload: t })),
    );
    const weapons = generateWiki().flatMap((p) =>
      p.rows.map((r) => ({ ...r, weapon_type: p.type, edited_at: p.editedAt })),
    );
    await loadBronze(
      rt,
      'weapons',
      weapons
        .filter((w) => w.name)
        .map((w) => ({ key: `${w.weapon_type}|${w.name}`, observedAt: w.edited_at, payload: w })),
    );
    await loadBronze(
      rt,
      'listings',
      LISTINGS.map((l): FixtureRecord => ({ key: l.key, observedAt: l.at, payload: l.payload })),
    );
    const silver = await runJob(rt, { layer: 'silver' });
    const gold = await runJob(rt, { layer: 'gold' });
    for (const r of [...silver, ...gold]) assert.equal(r.status, 'succeeded', `${r.target}: ${r.error}`);
    const loads = await loadGold(rt, gold);
    for (const l of loads) assert.equal(l.status, 'succeeded', `${l.target}: ${l.error}`);
  });
  after(async () => env?.cleanup());

  const lake = (sql: string, tables: string[]) =>
    withDuck(async (duck) => {
      for (const t of tables) {
        const [layer, name] = t.split('.') as ['silver' | 'gold', string];
        await attachTable(env.rt, duck, { layer, name });
      }
      return (await duck.allJson(sql)).rows;
    });

  it('weather_daily: min, max, mean, precipitation and count per city and UTC day, from the latest valid revisions', async () => {
    const valid = WEATHER.filter((r) => r.temperature_c <= 60);
    const latest = new Map<string, (typeof valid)[number]>();
    for (const r of valid) {
      const key = `${r.station_id}|${r.observed_at}`;
      if (!latest.has(key) || r.updated_at > latest.get(key)!.updated_at) latest.set(key, r);
    }
    const days = new Map<string, { city: string; date: string; temps: number[]; rain: number }>();
    for (const r of latest.values()) {
      const key = `${r.city}|${r.observed_at.slice(0, 10)}`;
      const d = days.get(key) ?? { city: r.city, date: r.observed_at.slice(0, 10), temps: [], rain: 0 };
      d.temps.push(r.temperature_c);
      d.rain += r.precipitation_mm;
      days.set(key, d);
    }
    const expected = [...days.values()]
      .sort((a, b) => `${a.city}${a.date}`.localeCompare(`${b.city}${b.date}`))
      .map((d) => ({
        city: d.city,
        date: d.date,
        temperature_min_c: Math.min(...d.temps),
        temperature_max_c: Math.max(...d.temps),
        temperature_mean_c: round(d.temps.reduce((a, b) => a + b) / d.temps.length, 2),
        precipitation_mm: round(d.rain, 2),
        observation_count: d.temps.length,
      }));
    const { rows } = await env.rt.pool.query(
      'select city, date, temperature_min_c, temperature_max_c, temperature_mean_c, precipitation_mm, observation_count from gold.weather_daily order by city, date',
    );
    assert.deepEqual(rows, expected);
    assert.equal(
      Number(
        (
          await lake('select count(*) as n from silver.weather_observations__quarantine', [
            'silver.weather_observations__quarantine',
          ])
        )[0]!.n,
      ),
      1,
    );
  });

  it('odds: payout rate per bookmaker from 1 / (1/o1 + 1/oX + 1/o2), inside the 83–92 % band', async () => {
    const valid = odds.filter((r) => [r.odds_1, r.odds_x, r.odds_2].every((o) => Number(o) > 1));
    assert.ok(valid.length < odds.length, 'the fixture has malformed odds, which silver quarantines');
    const byBookmaker = new Map<string, number[]>();
    for (const r of valid) {
      const payout = round(1 / (1 / Number(r.odds_1) + 1 / Number(r.odds_x) + 1 / Number(r.odds_2)), 4);
      byBookmaker.set(r.bookmaker, [...(byBookmaker.get(r.bookmaker) ?? []), payout]);
    }
    const expected = [...byBookmaker]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([bookmaker, rates]) => ({
        bookmaker,
        matches: rates.length,
        payout_rate_mean: round(rates.reduce((a, b) => a + b) / rates.length, 4),
        payout_rate_min: Math.min(...rates),
        payout_rate_max: Math.max(...rates),
      }));
    const { rows } = await env.rt.pool.query('select * from gold.bookmaker_payouts order by bookmaker collate "C"');
    assert.equal(rows.length, expected.length);
    rows.forEach((row, i) => {
      const e = expected[i]!;
      assert.deepEqual(
        [row.bookmaker, row.matches, row.payout_rate_min, row.payout_rate_max],
        [e.bookmaker, e.matches, e.payout_rate_min, e.payout_rate_max],
      );
      // Both round a float mean to 4 decimals; at an exact .5 they may land one unit apart.
      assert.ok(
        Math.abs(row.payout_rate_mean - e.payout_rate_mean) <= 0.0001 + 1e-12,
        `${e.bookmaker}: ${row.payout_rate_mean} vs ${e.payout_rate_mean}`,
      );
      assert.ok(
        row.payout_rate_mean >= 0.83 && row.payout_rate_mean <= 0.92,
        `${e.bookmaker} pays back ${row.payout_rate_mean}`,
      );
    });
    const quarantined = await lake('select count(*) as n from silver.odds_prices__quarantine', [
      'silver.odds_prices__quarantine',
    ]);
    assert.equal(Number(quarantined[0]!.n), odds.length - valid.length);
  });

  it('odds: the best price of each outcome of each match, and who offers it', async () => {
    const valid = odds.filter((r) => [r.odds_1, r.odds_x, r.odds_2].every((o) => Number(o) > 1));
    const best = new Map<string, { odds: number; bookmaker: string; count: number }>();
    for (const r of valid) {
      for (const [outcome, price] of [
        ['1', r.odds_1],
        ['X', r.odds_x],
        ['2', r.odds_2],
      ] as const) {
        const key = `${r.home} - ${r.away}|${outcome}`;
        const seen = best.get(key);
        const o = Number(price);
        const better = !seen || o > seen.odds || (o === seen.odds && r.bookmaker < seen.bookmaker);
        best.set(key, {
          odds: better ? o : seen!.odds,
          bookmaker: better ? r.bookmaker : seen!.bookmaker,
          count: (seen?.count ?? 0) + 1,
        });
      }
    }
    const { rows } = await env.rt.pool.query(
      'select match, outcome, best_odds, best_bookmaker, bookmakers from gold.odds_best_prices',
    );
    assert.equal(rows.length, best.size);
    for (const row of rows) {
      const e = best.get(`${row.match}|${row.outcome}`)!;
      assert.deepEqual(
        [row.best_odds, row.best_bookmaker, row.bookmakers],
        [e.odds, e.bookmaker, e.count],
        `${row.match} ${row.outcome}`,
      );
    }
  });

  it('crypto: OHLC per coin per minute and per hour from out-of-order ticks', async () => {
    const candles = (grain: number) => {
      const map = new Map<string, { symbol: string; start: number; ticks: typeof CRYPTO }>();
      for (const t of CRYPTO) {
        const start = Math.floor(Date.parse(t.ts) / grain) * grain;
        const key = `${t.symbol}|${start}`;
        map.set(key, { symbol: t.symbol, start, ticks: [...(map.get(key)?.ticks ?? []), t] });
      }
      return [...map.values()]
        .sort((a, b) => a.symbol.localeCompare(b.symbol) || a.start - b.start)
        .map(({ symbol, start, ticks }) => {
          const byTime = [...ticks].sort((a, b) => a.ts.localeCompare(b.ts));
          const prices = ticks.map((t) => t.price);
          return {
            symbol,
            period_start: new Date(start).toISOString(),
            open: byTime[0]!.price,
            high: Math.max(...prices),
            low: Math.min(...prices),
            close: byTime.at(-1)!.price,
            ticks: ticks.length,
          };
        });
    };
    for (const [table, grain] of [
      ['crypto_ohlc_minute', 60_000],
      ['crypto_ohlc_hour', 3_600_000],
    ] as const) {
      const { rows } = await env.rt.pool.query(
        `select symbol, period_start, open, high, low, close, ticks from gold.${table} order by symbol, period_start`,
      );
      assert.deepEqual(
        rows.map((r) => ({ ...r, period_start: (r.period_start as Date).toISOString() })),
        candles(grain),
        table,
      );
    }
  });

  it('weapons: one silver table per type, a view over all, rankings by attack and counts by rarity', async () => {
    const weapons = generateWiki().flatMap((p) =>
      p.rows
        .filter((r) => r.name)
        .map((r) => ({ type: p.type, name: r.name, attack: Number(r.attack), rarity: Number(r.rarity) })),
    );
    const perType = await withDuck(async (duck) => {
      await attachLake(env.rt, duck);
      return (
        await duck.allJson(
          'select weapon_type, count(*)::integer as n from silver.weapons_all group by all order by weapon_type',
        )
      ).rows;
    });
    const types = [...new Set(weapons.map((w) => w.type))].sort();
    assert.deepEqual(
      perType,
      types.map((type) => ({ weapon_type: type, n: weapons.filter((w) => w.type === type).length })),
    );
    const ranked = [...weapons].sort(
      (a, b) =>
        a.type.localeCompare(b.type) || b.attack - a.attack || b.rarity - a.rarity || a.name.localeCompare(b.name),
    );
    const expected = ranked.map((w, i) => ({
      weapon_type: w.type,
      name: w.name,
      attack_rank: ranked.slice(0, i).filter((x) => x.type === w.type).length + 1,
      attack: w.attack,
    }));
    const { rows } = await env.rt.pool.query(
      'select weapon_type, name, attack_rank, attack from gold.weapon_rankings order by weapon_type, attack_rank',
    );
    assert.deepEqual(rows, expected);
    const counts = new Map<string, number>();
    for (const w of weapons) counts.set(`${w.type}|${w.rarity}`, (counts.get(`${w.type}|${w.rarity}`) ?? 0) + 1);
    const { rows: rarity } = await env.rt.pool.query(
      'select weapon_type, rarity, weapons from gold.weapon_rarity_counts',
    );
    assert.equal(rarity.length, counts.size);
    for (const r of rarity)
      assert.equal(r.weapons, counts.get(`${r.weapon_type}|${r.rarity}`), `${r.weapon_type} rarity ${r.rarity}`);
  });

  it('listings: one row per listing across origins, in EUR and m², and price per m² by city and month', async () => {
    const silver = await lake(
      'select listing_id, city, price_eur, surface_m2, origin from silver.listings order by listing_id',
      ['silver.listings'],
    );
    assert.deepEqual(silver, [
      { listing_id: 'L1', city: 'Paris', price_eur: 480_000, surface_m2: 50, origin: 'api' },
      {
        listing_id: 'L2',
        city: 'PARIS', // as the agency CSV spells it: gold groups it with Paris by its lower-case key
        price_eur: 300_000,
        surface_m2: round(430 / 10.7639, 1),
        origin: 'agency-csv',
      },
      { listing_id: 'L3', city: 'Lyon', price_eur: 250_000, surface_m2: 50, origin: 'legacy' },
      { listing_id: 'L4', city: 'Lyon', price_eur: 200_000, surface_m2: 40, origin: 'api' },
      { listing_id: 'L5', city: 'Lyon', price_eur: 330_000, surface_m2: 60, origin: 'api' },
      { listing_id: 'L7', city: 'Lyon', price_eur: 410_000, surface_m2: 70, origin: 'api' },
    ]);
    const groups = new Map<string, number[]>();
    for (const l of silver) {
      const updated = LISTINGS.filter(
        (x) => (x.payload.listing_id ?? x.payload.ref ?? x.payload.legacy_id) === l.listing_id,
      )
        .map((x) => x.at)
        .sort()
        .at(-1)!;
      const key = `${(l.city as string).toLowerCase()}|${updated.slice(0, 7)}-01`;
      groups.set(key, [...(groups.get(key) ?? []), round((l.price_eur as number) / (l.surface_m2 as number), 2)]);
    }
    const expected = [...groups]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, values]) => ({
        // The spelling shown: one in mixed case before one in capitals.
        city: silver
          .map((l) => l.city as string)
          .filter((c) => c.toLowerCase() === key.split('|')[0])
          .sort((a, b) => Number(a === a.toUpperCase()) - Number(b === b.toUpperCase()))[0],
        month: key.split('|')[1],
        listings: values.length,
        price_m2_median: round(quantile(values, 0.5), 2),
        price_m2_p10: round(quantile(values, 0.1), 2),
        price_m2_p90: round(quantile(values, 0.9), 2),
      }));
    const { rows } = await env.rt.pool.query(
      'select city, month, listings, price_m2_median, price_m2_p10, price_m2_p90 from gold.listings_price_m2 order by city, month',
    );
    assert.deepEqual(rows, expected);
  });

  it('serves gold in PostgreSQL with primary keys, indexes on common filters and comments from the definitions', async () => {
    const { rows: indexes } = await env.rt.pool.query(
      "select indexname, indexdef from pg_indexes where schemaname = 'gold' and tablename = 'odds_best_prices' order by indexname",
    );
    assert.deepEqual(
      indexes.map((i) => i.indexname),
      ['odds_best_prices_best_bookmaker_idx', 'odds_best_prices_match_idx', 'odds_best_prices_pkey'],
    );
    assert.match(
      indexes.find((i) => i.indexname === 'odds_best_prices_pkey')!.indexdef,
      /\(league, home, away, kickoff, outcome\)/,
    );
    const { rows: comments } = await env.rt.pool.query(
      "select col_description('gold.bookmaker_payouts'::regclass, a.attnum) as comment from pg_attribute a where a.attrelid = 'gold.bookmaker_payouts'::regclass and a.attname = 'payout_rate_mean'",
    );
    assert.equal(comments[0]!.comment, 'Mean payout rate, 4 decimals');
    const { rows: table } = await env.rt.pool.query(
      "select obj_description('gold.bookmaker_payouts'::regclass) as comment",
    );
    assert.match(
      table[0]!.comment,
      /^Payout rate per bookmaker over the matches it prices \(mean, min, max\)\. \(lake snapshot \d+, run /,
    );
  });

  it('listings: price history as SCD2 versions, unchanged reports folded into one version', async () => {
    const rows = await lake(
      "select listing_id, price_eur, strftime(valid_from, '%Y-%m-%d') as valid_from, strftime(valid_to, '%Y-%m-%d') as valid_to, is_current from silver.listing_price_history where listing_id = 'L1' order by valid_from",
      ['silver.listing_price_history'],
    );
    assert.deepEqual(rows, [
      { listing_id: 'L1', price_eur: 500_000, valid_from: '2026-11-02', valid_to: '2026-11-10', is_current: false },
      { listing_id: 'L1', price_eur: 480_000, valid_from: '2026-11-10', valid_to: null, is_current: true },
    ]);
    const versions = await lake('select count(*)::integer as n from silver.listing_price_history', [
      'silver.listing_price_history',
    ]);
    assert.equal(
      versions[0]!.n,
      8,
      'L1 twice, L2, L3, L4, L5, L7, and L6 (a surface does not matter to the price history)',
    );
  });
});
