-- The current state of each listing, whichever origin reported it last.
select listing_id, city, city_key, price_eur, surface_m2, round(price_eur / surface_m2, 2) as price_m2, rooms, agency, agency_email, agency_phone, origin, origin_rank, updated_at, event_id, _raw
from silver.listing_records
