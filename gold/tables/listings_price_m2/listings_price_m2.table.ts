// Gold `listings_price_m2`: the market per city and month.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'listings_price_m2',
  layer: 'gold',
  description: 'Asking price per m² by city and month: number of listings, median, p10 and p90.',
  from: ['silver.listings'],
  primaryKey: ['city', 'month'],
  writeMode: 'replace',
  expectations: {
    quantiles_ordered: { check: 'price_m2_p10 <= price_m2_median and price_m2_median <= price_m2_p90', action: 'fail' },
  },
  indexes: [['month']],
  columns: {
    city: "City, as its listings' origins spell it most (grouped by the name in lower case)",
    month: "First day of the month (UTC) of the listings' last update",
    listings: 'Listings counted',
    price_m2_median: 'Median asking price per m² in EUR',
    price_m2_p10: '10th percentile (EUR/m²)',
    price_m2_p90: '90th percentile (EUR/m²)',
  },
} satisfies TableSpec;
