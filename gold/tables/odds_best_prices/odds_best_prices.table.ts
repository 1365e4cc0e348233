// Gold `odds_best_prices`: where to bet each outcome of each match.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'odds_best_prices',
  layer: 'gold',
  description: 'Best decimal odds per match and outcome (1, X, 2) across bookmakers, and who offers them.',
  from: ['silver.odds_prices'],
  primaryKey: ['league', 'home', 'away', 'kickoff', 'outcome'],
  writeMode: 'replace',
  expectations: { best_odds_decimal: { check: 'best_odds > 1', action: 'fail' } },
  indexes: [['match'], ['best_bookmaker']],
  columns: {
    league: 'League name',
    home: 'Home team',
    away: 'Away team',
    match: '"Home - Away"',
    kickoff: 'Kick-off time (UTC)',
    outcome: '1 (home win), X (draw) or 2 (away win)',
    best_odds: 'Highest decimal odds offered on the outcome',
    best_bookmaker: 'Bookmaker offering best_odds (first by name on a tie)',
    bookmakers: 'Bookmakers quoting the outcome',
  },
} satisfies TableSpec;
