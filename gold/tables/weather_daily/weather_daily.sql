-- One row per city, country and UTC day from the cleaned hourly observations: two cities of one name in two countries
-- stay apart.
select
  city,
  country,
  cast(observed_at as date)                 as date,
  min(temperature_c)                        as temperature_min_c,
  max(temperature_c)                        as temperature_max_c,
  -- Summed as decimals: exact, so the result does not depend on the order rows arrive in.
  round(avg(temperature_c::decimal(18, 3))::double, 2)   as temperature_mean_c,
  round(sum(precipitation_mm::decimal(18, 3))::double, 2) as precipitation_mm,
  count(*)                                  as observation_count,
  count(distinct station_id)                as stations
from silver.weather_observations
group by city, country, cast(observed_at as date)
