-- One row per agency: the contact given with its most recent listing (still ciphertext: encrypting twice is avoided,
-- and the definition's `sensitive` would encrypt a clear one), and what it sells.
select
  agency,
  arg_max(agency_email, updated_at)        as agency_email,
  arg_max(agency_phone, updated_at)        as agency_phone,
  count(*)                                 as listings,
  count(distinct city_key)                 as cities,
  round(quantile_cont(price_m2, 0.5), 2)   as price_m2_median
from silver.listings
where agency is not null
group by agency
