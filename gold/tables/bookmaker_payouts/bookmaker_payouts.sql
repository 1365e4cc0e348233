-- Each bookmaker's payout rate over the matches it prices: mean, lowest and highest.
select
  bookmaker,
  count(*)                        as matches,
  round(avg(payout_rate::decimal(18, 4))::double, 4) as payout_rate_mean,  -- exact sum: independent of row order
  min(payout_rate)                as payout_rate_min,
  max(payout_rate)                as payout_rate_max
from silver.odds_prices
group by bookmaker
