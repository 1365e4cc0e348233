// Given odds rows as the site shows them (text), the typed prices silver.odds_prices keeps per match and bookmaker,
// with the bookmaker's payout rate 1 / (1/o1 + 1/oX + 1/o2); a later update of the same price replaces it.
import { tableTest } from '../../../pipeline/table-test.ts';

const odds = (bookmaker: string, o1: string, ox: string, o2: string, updated = '08') => ({
  league: 'La Liga',
  home: 'Sevilla',
  away: 'Betis',
  kickoff: '2026-11-09T20:00:00Z',
  bookmaker,
  odds_1: o1,
  odds_x: ox,
  odds_2: o2,
  updated_at: `2026-11-07T${updated}:00:00Z`,
});

tableTest({
  table: 'silver.odds_prices',
  cases: [
    {
      name: 'types odds per match and bookmaker with the payout rate, and keeps the latest update',
      batches: [
        {
          given: { odds: [odds('Alpha', '2.0', '3.5', '4.0'), odds('Beta', '1.9', '3.4', '4.2')] },
          expect: {
            rows: [
              { match: 'Sevilla - Betis', bookmaker: 'Alpha', odds_1: 2, odds_x: 3.5, odds_2: 4, payout_rate: 0.9655 },
              { match: 'Sevilla - Betis', bookmaker: 'Beta', odds_1: 1.9, payout_rate: 0.9447 },
            ],
          },
        },
        {
          given: { odds: [odds('Beta', '2.1', '3.4', '4.2', '11')] },
          expect: {
            rows: [
              { bookmaker: 'Alpha', odds_1: 2, payout_rate: 0.9655 },
              { bookmaker: 'Beta', odds_1: 2.1, payout_rate: 0.9917 },
            ],
          },
        },
      ],
    },
  ],
});
