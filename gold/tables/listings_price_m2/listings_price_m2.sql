-- Asking price per m² by city and month of the listing's last update: count, median, 10th and 90th percentiles
-- (continuous quantiles, linear interpolation).
select
  city,
  cast(date_trunc('month', updated_at) as date)     as month,
  count(*)                                           as listings,
  round(quantile_cont(price_m2, 0.5), 2)             as price_m2_median,
  round(quantile_cont(price_m2, 0.1), 2)             as price_m2_p10,
  round(quantile_cont(price_m2, 0.9), 2)             as price_m2_p90
from silver.listings
group by city, cast(date_trunc('month', updated_at) as date)
