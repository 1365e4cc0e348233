-- 1X2 odds per match and bookmaker, typed, with the bookmaker's payout rate: 1 / (1/o1 + 1/oX + 1/o2).
with typed as (
  select
    json_extract_string(payload, '$.league')                                  as league,
    json_extract_string(payload, '$.home')                                    as home,
    json_extract_string(payload, '$.away')                                    as away,
    try_cast(json_extract_string(payload, '$.kickoff') as timestamptz)        as kickoff,
    json_extract_string(payload, '$.bookmaker')                               as bookmaker,
    try_cast(json_extract_string(payload, '$.odds_1') as double)              as odds_1,
    try_cast(json_extract_string(payload, '$.odds_x') as double)              as odds_x,
    try_cast(json_extract_string(payload, '$.odds_2') as double)              as odds_2,
    try_cast(json_extract_string(payload, '$.updated_at') as timestamptz)     as updated_at,
    event_id,
    payload as _raw
  from bronze.odds
)
select
  league, home, away, home || ' - ' || away as match, kickoff, bookmaker, odds_1, odds_x, odds_2,
  round(1 / (1 / odds_1 + 1 / odds_x + 1 / odds_2), 4) as payout_rate,
  updated_at, event_id, _raw
from typed
