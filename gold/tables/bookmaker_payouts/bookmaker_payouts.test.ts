// Given 1X2 odds from two bookmakers, each one's payout rate over the matches it prices: 1 / (1/o1 + 1/oX + 1/o2),
// its mean, lowest and highest; a re-priced match replaces the old price in the next run.
import { tableTest } from '../../../pipeline/table-test.ts';

const odds = (bookmaker: string, home: string, away: string, o1: number, ox: number, o2: number, updated = '08') => ({
  league: 'Ligue 1',
  home,
  away,
  kickoff: '2026-11-07T20:00:00Z',
  bookmaker,
  odds_1: String(o1),
  odds_x: String(ox),
  odds_2: String(o2),
  updated_at: `2026-11-05T${updated}:00:00Z`,
});

tableTest({
  table: 'gold.bookmaker_payouts',
  cases: [
    {
      name: 'averages each bookmaker over its matches, and follows a re-pricing',
      batches: [
        {
          given: {
            odds: [
              odds('Alpha', 'Lyon', 'Nice', 2.0, 3.5, 4.0), // 0.9655
              odds('Alpha', 'Lens', 'Brest', 1.5, 4.0, 6.0), // 0.9231
              odds('Beta', 'Lyon', 'Nice', 1.9, 3.4, 4.2), // 0.9447
            ],
          },
          expect: {
            rows: [
              {
                bookmaker: 'Alpha',
                matches: 2,
                payout_rate_mean: 0.9443,
                payout_rate_min: 0.9231,
                payout_rate_max: 0.9655,
              },
              {
                bookmaker: 'Beta',
                matches: 1,
                payout_rate_mean: 0.9447,
                payout_rate_min: 0.9447,
                payout_rate_max: 0.9447,
              },
            ],
          },
        },
        {
          given: { odds: [odds('Beta', 'Lyon', 'Nice', 2.1, 3.4, 4.2, '12')] }, // 0.9917
          expect: {
            rows: [
              { bookmaker: 'Alpha', matches: 2, payout_rate_mean: 0.9443 },
              {
                bookmaker: 'Beta',
                matches: 1,
                payout_rate_mean: 0.9917,
                payout_rate_min: 0.9917,
                payout_rate_max: 0.9917,
              },
            ],
          },
        },
      ],
    },
  ],
});
