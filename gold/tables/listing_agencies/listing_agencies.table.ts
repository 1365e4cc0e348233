// Gold `listing_agencies`: who sells, with their contact kept encrypted in the lake and in PostgreSQL.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'listing_agencies',
  layer: 'gold',
  description:
    'Agencies selling listings: their contact (encrypted), listings on sale, cities and median price per m².',
  from: ['silver.listings'],
  primaryKey: ['agency'],
  writeMode: 'replace',
  // The contact is personal data: ciphertext in gold files and PostgreSQL; the API shows it to keys with read:sensitive.
  sensitive: { agency_email: 'encrypt', agency_phone: 'encrypt' },
  columns: {
    agency: 'Agency name',
    agency_email: 'Contact email of its latest listing (encrypted)',
    agency_phone: 'Contact phone of its latest listing (encrypted)',
    listings: 'Listings it sells',
    cities: 'Cities it sells in',
    price_m2_median: 'Median asking price per m² of its listings (EUR)',
  },
} satisfies TableSpec;
