// Given listings of two agencies from the API and the partner JSON (where the contact is nested), one row per agency
// with the contact of its latest listing: encrypted in the table (read here as `clear:…`), never in clear.
import { tableTest } from '../../../pipeline/table-test.ts';

const api = (id: string, agency: string, email: string, price: number, updated: string) => ({
  listing_id: id,
  city: 'Lyon',
  price_eur: price,
  surface_m2: 50,
  rooms: 2,
  updated_at: `2026-11-${updated}T09:00:00Z`,
  agency,
  agency_email: email,
  agency_phone: '+33 4 00 00 00 00',
});
const partner = (id: string, agency: string, email: string, updated: string) => ({
  id,
  city: 'Nantes',
  price: { amount: 200000, currency: 'EUR' },
  area: { value: 40, unit: 'm2' },
  updated: `2026-11-${updated}T09:00:00Z`,
  agency: { name: agency, email, phone: '+33 2 11 11 11 11' },
});

tableTest({
  table: 'gold.listing_agencies',
  cases: [
    {
      name: 'one row per agency, its latest contact encrypted',
      given: {
        listings: [
          api('A1', 'Immo Rhône', 'old@immo-rhone.fr', 250000, '01'),
          api('A2', 'Immo Rhône', 'ventes@immo-rhone.fr', 300000, '05'),
          partner('P1', 'Immo Rhône', 'partner@immo-rhone.fr', '03'),
          partner('P2', 'Atlantique Habitat', 'bonjour@atlantique-habitat.fr', '02'),
        ],
      },
      expect: {
        rows: [
          {
            agency: 'Immo Rhône',
            agency_email: 'clear:ventes@immo-rhone.fr',
            agency_phone: 'clear:+33 4 00 00 00 00',
            listings: 3,
            cities: 2,
            price_m2_median: 5000,
          },
          {
            agency: 'Atlantique Habitat',
            agency_email: 'clear:bonjour@atlantique-habitat.fr',
            agency_phone: 'clear:+33 2 11 11 11 11',
            listings: 1,
            cities: 1,
            price_m2_median: 5000,
          },
        ],
      },
    },
  ],
});
