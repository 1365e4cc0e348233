// Given listings from the API and an agency CSV (sq ft, "450 k€", upper-case towns), the asking price per m² by city
// and month: count, median and 10th/90th percentiles (linear interpolation); an implausible surface is quarantined
// upstream, and a listing updated in a later month moves to that month. Spellings of one city group together, shown
// as the origins spell it most (mixed case first).
import { tableTest } from '../../../pipeline/table-test.ts';

const api = (id: string, city: string, price: number, surface: number, updated = '2026-11-10') => ({
  listing_id: id,
  city,
  price_eur: price,
  surface_m2: surface,
  rooms: 3,
  updated_at: `${updated}T09:00:00Z`,
});
const agencyCsv = (ref: string, town: string, price: string, sqft: string) => ({
  ref,
  town,
  price,
  surface_sqft: sqft,
  rooms: '4',
  updated: '2026-11-12T10:00:00Z',
});

tableTest({
  table: 'gold.listings_price_m2',
  cases: [
    {
      name: 'summarises price per m² by city and month, units unified across origins',
      batches: [
        {
          given: {
            listings: [
              api('A1', 'paris', 300000, 50), // 6000 / m²
              api('A2', 'Paris', 500000, 100), // 5000
              api('A3', 'paris', 440000, 80), // 5500
              api('A4', 'lyon', 90000, 5), // 5 m²: quarantined
              agencyCsv('C1', 'LYON', '450 k€', '1076.39'), // 450,000 € over 100.0 m²: 4500
            ],
          },
          expect: {
            rows: [
              {
                city: 'LYON', // the only spelling left (the API's "lyon" was quarantined): shown as the CSV writes it
                month: '2026-11-01',
                listings: 1,
                price_m2_median: 4500,
                price_m2_p10: 4500,
                price_m2_p90: 4500,
              },
              {
                city: 'Paris',
                month: '2026-11-01',
                listings: 3,
                price_m2_median: 5500,
                price_m2_p10: 5100,
                price_m2_p90: 5900,
              },
            ],
          },
        },
        {
          given: { listings: [api('A1', 'paris', 330000, 50, '2026-12-02')] }, // 6600, now in December
          expect: {
            rows: [
              { city: 'LYON', month: '2026-11-01', listings: 1, price_m2_median: 4500 },
              {
                city: 'Paris',
                month: '2026-11-01',
                listings: 2,
                price_m2_median: 5250,
                price_m2_p10: 5050,
                price_m2_p90: 5450,
              },
              { city: 'Paris', month: '2026-12-01', listings: 1, price_m2_median: 6600 },
            ],
          },
        },
      ],
    },
  ],
});
