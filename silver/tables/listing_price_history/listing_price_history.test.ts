// Given listing records from two origins over three runs, the price versions silver.listing_price_history keeps:
// a new version only when the price changes, the previous one closed at the new one's start.
import { tableTest } from '../../../pipeline/table-test.ts';

const api = (id: string, price: number, updated: string) => ({
  listing_id: id,
  city: 'paris',
  price_eur: price,
  surface_m2: 50,
  rooms: 2,
  updated_at: `2026-11-${updated}Z`,
});
const legacy = (id: string, cents: number, modified: string) => ({
  legacy_id: id,
  town: 'LYON',
  price_cents: cents,
  area_m2: 70,
  modified_at: `2026-11-${modified}Z`,
});

const version = (id: string, price: number, from: string, to: string | null, current: boolean) => ({
  listing_id: id,
  price_eur: price,
  valid_from: `2026-11-${from}+00`,
  valid_to: to && `2026-11-${to}+00`,
  is_current: current,
});

tableTest({
  table: 'silver.listing_price_history',
  cases: [
    {
      name: 'opens a version per price change and closes the one before it, across runs and origins',
      batches: [
        {
          given: { listings: [api('A1', 300000, '01T08:00:00'), legacy('L7', 21000000, '01T09:00:00')] },
          expect: {
            rows: [version('A1', 300000, '01 08:00:00', null, true), version('L7', 210000, '01 09:00:00', null, true)],
          },
        },
        {
          // A1 drops its price; L7 is sent again with the same price (a new record, no new version).
          given: { listings: [api('A1', 285000, '05T10:00:00'), legacy('L7', 21000000, '06T09:00:00')] },
          expect: {
            rows: [
              version('A1', 300000, '01 08:00:00', '05 10:00:00', false),
              version('A1', 285000, '05 10:00:00', null, true),
              version('L7', 210000, '01 09:00:00', null, true),
            ],
          },
        },
        {
          given: { listings: [legacy('L7', 19900000, '10T12:00:00')] },
          expect: {
            rows: [
              version('A1', 300000, '01 08:00:00', '05 10:00:00', false),
              version('A1', 285000, '05 10:00:00', null, true),
              version('L7', 210000, '01 09:00:00', '10 12:00:00', false),
              version('L7', 199000, '10 12:00:00', null, true),
            ],
          },
        },
      ],
    },
  ],
});
