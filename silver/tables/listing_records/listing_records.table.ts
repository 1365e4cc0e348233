// Silver `listing_records`: a view giving every origin's listing records one shape; silver.listings and
// silver.listing_price_history read it (so the unification is written once).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'listing_records',
  layer: 'silver',
  description:
    'Listing records of every origin (API, agency CSV, partner JSON, legacy database) in one shape: EUR, m², cities as each origin spells them with a key to group them by.',
  from: ['bronze.listings'],
  primaryKey: ['origin', 'listing_id', 'updated_at'],
  writeMode: 'view',
} satisfies TableSpec;
