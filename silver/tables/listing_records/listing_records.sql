-- Every listing record of every origin in one shape: EUR, m², and the city as the origin spells it (Unicode NFC, any
-- run of spaces made one) with `city_key`, the key it is grouped by (lower case): decision 0030. The origin is
-- recognised from the record's fields, as the collector did (api: listing_id, legacy: legacy_id, agency CSV: ref,
-- partner JSON: id).
with records as (
  select
    payload,
    event_id,
    case
      when json_exists(payload, '$.listing_id') then 'api'
      when json_exists(payload, '$.legacy_id') then 'legacy'
      when json_exists(payload, '$.ref') then 'agency-csv'
      else 'partner-json'
    end as origin
  from bronze.listings
),
unified as (
  select
    origin,
    case origin
      when 'api' then json_extract_string(payload, '$.listing_id')
      when 'legacy' then json_extract_string(payload, '$.legacy_id')
      when 'agency-csv' then json_extract_string(payload, '$.ref')
      else json_extract_string(payload, '$.id')
    end as listing_id,
    coalesce(json_extract_string(payload, '$.city'), json_extract_string(payload, '$.town')) as city_raw,
    case origin
      when 'api' then try_cast(json_extract_string(payload, '$.price_eur') as double)
      when 'legacy' then try_cast(json_extract_string(payload, '$.price_cents') as double) / 100
      -- "450 k€": thousands of euros
      when 'agency-csv' then try_cast(trim(replace(json_extract_string(payload, '$.price'), 'k€', '')) as double) * 1000
      else try_cast(json_extract_string(payload, '$.price.amount') as double)
    end as price_eur,
    case origin
      when 'api' then try_cast(json_extract_string(payload, '$.surface_m2') as double)
      when 'legacy' then try_cast(json_extract_string(payload, '$.area_m2') as double)
      -- square feet to m², to 0.1 m²
      when 'agency-csv' then round(try_cast(json_extract_string(payload, '$.surface_sqft') as double) / 10.7639, 1)
      else try_cast(json_extract_string(payload, '$.area.value') as double)
    end as surface_m2,
    try_cast(json_extract_string(payload, '$.rooms') as integer) as rooms,
    try_cast(coalesce(json_extract_string(payload, '$.updated_at'), json_extract_string(payload, '$.modified_at'), json_extract_string(payload, '$.updated')) as timestamptz) as updated_at,
    -- The agency and its contact; the email and phone are ciphertext (the source encrypts them): strata_decrypt reads them.
    case origin when 'partner-json' then json_extract_string(payload, '$.agency.name') else json_extract_string(payload, '$.agency') end as agency,
    case origin when 'partner-json' then json_extract_string(payload, '$.agency.email') else json_extract_string(payload, '$.agency_email') end as agency_email,
    case origin when 'partner-json' then json_extract_string(payload, '$.agency.phone') else json_extract_string(payload, '$.agency_phone') end as agency_phone,
    -- When two origins report the same moment, the more precise one wins.
    case origin when 'api' then 1 when 'partner-json' then 2 when 'legacy' then 3 else 4 end as origin_rank,
    event_id,
    payload as _raw
  from records
)
select
  * exclude (city_raw, city_spelled),
  city_spelled as city,
  lower(city_spelled) as city_key
from (
  select *, nullif(trim(regexp_replace(nfc_normalize(city_raw), '[\s\p{Z}]+', ' ', 'g')), '') as city_spelled
  from unified
)
