// Silver `listing_price_history`: the price history of each listing as SCD2 versions (valid_from / valid_to).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'listing_price_history',
  layer: 'silver',
  description: 'Asking price history per listing: a version each time the price changes (SCD2).',
  from: ['silver.listing_records'],
  primaryKey: ['listing_id'],
  writeMode: 'scd2',
  scd2: { validFrom: 'updated_at', trackedColumns: ['price_eur'] },
  expectations: {
    id_present: { check: "listing_id is not null and listing_id <> ''", action: 'quarantine' },
    price_positive: { check: 'price_eur > 0', action: 'drop' },
  },
  columns: {
    listing_id: 'Listing reference',
    city: 'City',
    price_eur: 'Asking price in EUR during the version',
    updated_at: 'Report that started the version',
    origin: 'Origin of that report',
    event_id: 'Envelope id of the bronze event',
    valid_from: 'Start of the version (UTC)',
    valid_to: 'Start of the next version, or null for the current one',
    is_current: 'Whether this is the current price',
  },
} satisfies TableSpec;
