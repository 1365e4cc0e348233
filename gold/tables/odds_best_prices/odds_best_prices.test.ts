// Given 1X2 odds of one match from three bookmakers, the best price of each outcome, who offers it (a tie goes to the
// bookmaker first by name) and how many bookmakers quote it; a re-priced outcome changes its best in the next run.
import { tableTest } from '../../../pipeline/table-test.ts';

const odds = (bookmaker: string, o1: number, ox: number, o2: number, updated = '08') => ({
  league: 'Premier League',
  home: 'Arsenal',
  away: 'Chelsea',
  kickoff: '2026-11-08T16:30:00Z',
  bookmaker,
  odds_1: String(o1),
  odds_x: String(ox),
  odds_2: String(o2),
  updated_at: `2026-11-06T${updated}:00:00Z`,
});

const best = (outcome: string, price: number, bookmaker: string) => ({
  match: 'Arsenal - Chelsea',
  outcome,
  best_odds: price,
  best_bookmaker: bookmaker,
  bookmakers: 3,
});

tableTest({
  table: 'gold.odds_best_prices',
  cases: [
    {
      name: 'keeps the best price per outcome across bookmakers, ties to the first by name',
      batches: [
        {
          given: { odds: [odds('Gamma', 2.1, 3.4, 3.6), odds('Alpha', 2.05, 3.5, 3.6), odds('Beta', 2.0, 3.5, 3.55)] },
          expect: { rows: [best('1', 2.1, 'Gamma'), best('X', 3.5, 'Alpha'), best('2', 3.6, 'Alpha')] },
        },
        {
          given: { odds: [odds('Beta', 2.0, 3.6, 3.55, '12')] },
          expect: { rows: [best('1', 2.1, 'Gamma'), best('X', 3.6, 'Beta'), best('2', 3.6, 'Alpha')] },
        },
      ],
    },
  ],
});
