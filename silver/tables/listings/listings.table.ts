// Silver `listings`: one row per listing across its origins; the most recent report wins.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'listings',
  layer: 'silver',
  description:
    'Real-estate listings unified across origins, one row per listing (the latest report wins; on a tie, the more precise origin).',
  from: ['silver.listing_records'],
  primaryKey: ['listing_id'],
  writeMode: 'merge',
  latestBy: 'updated_at desc, origin_rank, event_id desc',
  expectations: {
    id_present: { check: "listing_id is not null and listing_id <> ''", action: 'quarantine' },
    city_present: { check: 'city is not null', action: 'quarantine' },
    price_positive: { check: 'price_eur > 0', action: 'quarantine' },
    surface_plausible: { check: 'surface_m2 between 8 and 2000', action: 'quarantine' },
  },
  // Encrypted by the source already; declared so that a change upstream can never put them here in clear.
  sensitive: { agency_email: 'encrypt', agency_phone: 'encrypt' },
  columns: {
    listing_id: 'Listing reference shared by its origins',
    city: 'City as the origin spells it (Unicode NFC, spaces collapsed)',
    city_key: 'The city in lower case: what listings are grouped by',
    price_eur: 'Asking price in EUR',
    surface_m2: 'Surface in m² (agency sq ft converted, 0.1 m²)',
    price_m2: 'price_eur / surface_m2, 2 decimals',
    rooms: 'Rooms (API only)',
    agency: 'The agency selling it',
    agency_email: "The agency's email, encrypted (strata_decrypt reads it where the keys are configured)",
    agency_phone: "The agency's phone, encrypted",
    origin: 'Origin of the winning report: api, partner-json, legacy or agency-csv',
    origin_rank: 'Precision rank of the origin (1 = api … 4 = agency-csv)',
    updated_at: 'When the origin last changed the listing (UTC)',
    event_id: 'Envelope id of the bronze event',
  },
} satisfies TableSpec;
