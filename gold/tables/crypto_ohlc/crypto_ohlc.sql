-- Open/high/low/close per coin and period ({{grain}}) from the ticks: open is the period's first tick, close its last.
select
  symbol,
  date_trunc({{grain}}, ts)     as period_start,
  cast(ts as date)              as date,
  arg_min(price, ts)            as open,
  max(price)                    as high,
  min(price)                    as low,
  arg_max(price, ts)            as close,
  count(*)                      as ticks
from silver.crypto_ticks
group by symbol, date_trunc({{grain}}, ts), cast(ts as date)
