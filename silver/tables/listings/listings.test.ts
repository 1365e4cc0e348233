// Given one listing reported by several origins, the current state silver.listings keeps: the latest update wins,
// the more precise origin wins a tie, and a row without a plausible surface is quarantined.
import { tableTest } from '../../../pipeline/table-test.ts';

const api = (id: string, price: number, updated: string) => ({
  listing_id: id,
  city: 'bordeaux',
  price_eur: price,
  surface_m2: 60,
  rooms: 3,
  updated_at: `2026-11-${updated}Z`,
});
const legacy = (id: string, cents: number, modified: string, area = 60) => ({
  legacy_id: id,
  town: 'BORDEAUX',
  price_cents: cents,
  area_m2: area,
  modified_at: `2026-11-${modified}Z`,
});

tableTest({
  table: 'silver.listings',
  cases: [
    {
      name: 'keeps the latest report of each listing, the API winning a tie with the legacy table',
      batches: [
        {
          given: {
            listings: [
              api('B1', 250000, '02T10:00:00'),
              legacy('B1', 24000000, '02T10:00:00'), // same moment: the API (rank 1) wins over legacy (rank 3)
              legacy('B2', 18000000, '01T09:00:00'),
              legacy('B3', 9000000, '01T09:00:00', 3), // 3 m²: quarantined
            ],
          },
          expect: {
            rows: [
              // Each origin's own spelling, and one key to group them by.
              {
                listing_id: 'B1',
                city: 'bordeaux',
                city_key: 'bordeaux',
                price_eur: 250000,
                price_m2: 4166.67,
                origin: 'api',
              },
              {
                listing_id: 'B2',
                city: 'BORDEAUX',
                city_key: 'bordeaux',
                price_eur: 180000,
                price_m2: 3000,
                origin: 'legacy',
              },
            ],
            quarantine: 1,
          },
        },
        {
          given: { listings: [legacy('B1', 23500000, '04T08:00:00')] },
          expect: {
            rows: [
              { listing_id: 'B1', price_eur: 235000, origin: 'legacy' },
              { listing_id: 'B2', price_eur: 180000, origin: 'legacy' },
            ],
            quarantine: 1,
          },
        },
      ],
    },
  ],
});
