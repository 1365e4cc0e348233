// Silver `odds_prices`: the current 1X2 odds of each bookmaker for each match, with its payout rate.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'odds_prices',
  layer: 'silver',
  description: 'Current 1X2 decimal odds per match and bookmaker, with the payout rate they imply.',
  from: ['bronze.odds'],
  primaryKey: ['league', 'home', 'away', 'kickoff', 'bookmaker'],
  writeMode: 'merge',
  latestBy: 'updated_at desc, event_id desc',
  expectations: {
    odds_are_decimal: { check: 'odds_1 > 1 and odds_x > 1 and odds_2 > 1', action: 'quarantine' },
    kickoff_present: { check: 'kickoff is not null', action: 'quarantine' },
    payout_below_one: { check: 'payout_rate < 1', action: 'warn' },
  },
  columns: {
    league: 'League name',
    home: 'Home team',
    away: 'Away team',
    match: '"Home - Away"',
    kickoff: 'Kick-off time (UTC)',
    bookmaker: 'Bookmaker',
    odds_1: 'Decimal odds of a home win',
    odds_x: 'Decimal odds of a draw',
    odds_2: 'Decimal odds of an away win',
    payout_rate: 'Share of stakes the bookmaker pays back: 1 / (1/odds_1 + 1/odds_x + 1/odds_2), 4 decimals',
    updated_at: 'When the site last changed these odds (UTC)',
    event_id: 'Envelope id of the bronze event',
  },
} satisfies TableSpec;
