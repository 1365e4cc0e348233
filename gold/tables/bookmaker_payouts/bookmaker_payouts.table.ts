// Gold `bookmaker_payouts`: how much of the stakes each bookmaker pays back (real bookmakers: 83–92 %).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'bookmaker_payouts',
  layer: 'gold',
  description: 'Payout rate per bookmaker over the matches it prices (mean, min, max).',
  from: ['silver.odds_prices'],
  primaryKey: ['bookmaker'],
  writeMode: 'replace',
  expectations: { payout_in_market_band: { check: 'payout_rate_mean between 0.83 and 0.92', action: 'warn' } },
  columns: {
    bookmaker: 'Bookmaker',
    matches: 'Matches priced',
    payout_rate_mean: 'Mean payout rate, 4 decimals',
    payout_rate_min: 'Lowest payout rate on one match',
    payout_rate_max: 'Highest payout rate on one match',
  },
} satisfies TableSpec;
