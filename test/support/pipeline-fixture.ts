// Small, deterministic data for every example pipeline, taken through bronze, silver, gold and the PostgreSQL load:
// what the API, fuzz and dashboard tests (and bench:api) serve. Each source's records are returned so tests can
// compute expected values themselves.
import { runJob } from '../../jobs/job-runner.ts';
import type { Runtime } from '../../lake/runtime.ts';
import { loadGold } from '../../gold/gold-job.ts';
import { generateOddsSite } from '../../ingest/sources/odds/fixtures/generator.ts';
import { generateWiki } from '../../ingest/sources/weapons/fixtures/wiki.ts';
import { loadBronze } from './bronze-fixture.ts';

const CITIES = [
  ['Paris', 'FR', 9],
  ['Lyon', 'FR', 11],
  ['Oslo', 'NO', 2],
] as const;
const DAYS = ['2026-11-18', '2026-11-19', '2026-11-20', '2026-11-21'];
const HOURS = [6, 9, 12, 15, 18, 21];

export const WEATHER = CITIES.flatMap(([city, country, base], c) =>
  DAYS.flatMap((day, d) =>
    HOURS.map((hour) => {
      const observedAt = `${day}T${String(hour).padStart(2, '0')}:00:00Z`;
      return {
        station_id: `${city.slice(0, 3).toUpperCase()}1`,
        city,
        country,
        observed_at: observedAt,
        updated_at: observedAt,
        temperature_c: Math.round((base + d - Math.abs(hour - 15) / 3 + c * 0.5) * 10) / 10,
        humidity_pct: 60 + hour,
        wind_kph: 5 + d,
        precipitation_mm: hour === 12 ? 0.4 * (d + 1) : 0,
      };
    }),
  ),
);

export const CRYPTO = (['BTCUSDT', 'ETHUSDT'] as const).flatMap((symbol, s) =>
  Array.from({ length: 120 }, (_, i) => ({
    symbol,
    ts: new Date(Date.UTC(2026, 10, 21, 9, 0, 0) + i * 15_000).toISOString(),
    price:
      Math.round((s ? 3000 : 90_000) * (1 + 0.01 * Math.sin(i / 7) + (0.002 * (((i * 37) % 11) - 5)) / 5) * 100) / 100,
    volume_24h: 1000 + i,
  })),
);

export const LISTINGS = (['Paris', 'Lyon', 'Marseille', 'Bordeaux'] as const).flatMap((city, c) =>
  Array.from({ length: 5 }, (_, i) => ({
    listing_id: `${city.slice(0, 3)}-${i}`,
    city,
    price_eur: (c === 0 ? 10_000 : 4_000 + 500 * c) * (40 + 10 * i) + 1000 * i,
    surface_m2: 40 + 10 * i,
    rooms: 2 + (i % 3),
    updated_at: `2026-11-${String(10 + i).padStart(2, '0')}T09:00:00Z`,
  })),
);

export const ODDS = generateOddsSite().flatMap((p) => p.rows.map((r) => ({ ...r, league: p.league.name })));
export const WEAPONS = generateWiki()
  .flatMap((p) => p.rows.map((r) => ({ ...r, weapon_type: p.type, edited_at: p.editedAt })))
  .filter((w) => w.name);

/** Loads every source into bronze, runs silver and gold, and loads gold into PostgreSQL; throws if anything fails. */
export async function loadPipelineFixture(rt: Runtime): Promise<void> {
  await loadBronze(
    rt,
    'weather',
    WEATHER.map((r) => ({ key: `${r.station_id}|${r.observed_at}`, observedAt: r.observed_at, payload: r })),
  );
  await loadBronze(
    rt,
    'crypto',
    CRYPTO.map((t) => ({ key: `${t.symbol}|${t.ts}`, observedAt: t.ts, payload: t })),
  );
  await loadBronze(
    rt,
    'listings',
    LISTINGS.map((l) => ({ key: `api:${l.listing_id}`, observedAt: l.updated_at, payload: l })),
  );
  await loadBronze(
    rt,
    'odds',
    ODDS.map((r) => ({
      key: `${r.league}|${r.home}|${r.away}|${r.kickoff}|${r.bookmaker}`,
      observedAt: r.updated_at,
      payload: r,
    })),
  );
  await loadBronze(
    rt,
    'weapons',
    WEAPONS.map((w) => ({ key: `${w.weapon_type}|${w.name}`, observedAt: w.edited_at, payload: w })),
  );
  const silver = await runJob(rt, { layer: 'silver' });
  const gold = await runJob(rt, { layer: 'gold' });
  const failed = [...silver, ...gold].filter((r) => r.status === 'failed');
  if (failed.length) throw new Error(`fixture jobs failed: ${failed.map((r) => `${r.target}: ${r.error}`).join('; ')}`);
  const loads = await loadGold(rt, gold);
  const failedLoads = loads.filter((l) => l.status !== 'succeeded');
  if (failedLoads.length)
    throw new Error(`fixture loads failed: ${failedLoads.map((l) => `${l.target}: ${l.error}`).join('; ')}`);
}
