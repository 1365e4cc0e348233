-- Asking price per m² by city and month of the listing's last update: count, median, 10th and 90th percentiles
-- (continuous quantiles, linear interpolation). Listings are grouped by city_key; the city shown is the spelling the
-- origins use most, one in mixed case before one in capitals or lower case (decision 0030).
with spellings as (
  select city_key, city
  from silver.listings
  where city_key is not null
  group by city_key, city
  qualify row_number() over (
    partition by city_key
    order by (city = upper(city) or city = lower(city)), count(*) desc, city
  ) = 1
)
select
  s.city,
  cast(date_trunc('month', l.updated_at) as date)     as month,
  count(*)                                             as listings,
  round(quantile_cont(l.price_m2, 0.5), 2)             as price_m2_median,
  round(quantile_cont(l.price_m2, 0.1), 2)             as price_m2_p10,
  round(quantile_cont(l.price_m2, 0.9), 2)             as price_m2_p90
from silver.listings as l
left join spellings as s using (city_key)
group by l.city_key, s.city, cast(date_trunc('month', l.updated_at) as date)
