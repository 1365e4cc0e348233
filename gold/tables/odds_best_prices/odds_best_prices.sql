-- The best price on each outcome of each match across bookmakers (ties go to the bookmaker first by name).
with outcomes as (
  select league, home, away, match, kickoff, bookmaker, outcome, odds
  from silver.odds_prices
  unpivot (odds for outcome in (odds_1 as '1', odds_x as 'X', odds_2 as '2'))
)
select
  league, home, away, match, kickoff, outcome,
  odds as best_odds,
  bookmaker as best_bookmaker,
  count(*) over (partition by league, home, away, kickoff, outcome) as bookmakers
from outcomes
qualify row_number() over (partition by league, home, away, kickoff, outcome order by odds desc, bookmaker) = 1
