-- Every asking price a listing has had, from any origin.
select listing_id, city, price_eur, updated_at, origin, event_id, _raw
from silver.listing_records
