-- Types the raw JSON payloads of bronze.weather. Values that do not cast become NULL and are caught by the table's
-- expectations (quarantine); among the valid revisions of a station-hour, the merge keeps the latest (latestBy).
select
  json_extract_string(payload, '$.station_id')                           as station_id,
  -- The city as the provider spells it, in Unicode NFC with any run of spaces made one (decision 0030).
  nullif(trim(regexp_replace(nfc_normalize(json_extract_string(payload, '$.city')), '[\s\p{Z}]+', ' ', 'g')), '') as city,
  json_extract_string(payload, '$.country')                              as country,
  observed_at,
  cast(observed_at as date)                                              as observed_date,
  try_cast(json_extract_string(payload, '$.temperature_c') as double)    as temperature_c,
  try_cast(json_extract_string(payload, '$.humidity_pct') as double)     as humidity_pct,
  try_cast(json_extract_string(payload, '$.wind_kph') as double)         as wind_kph,
  try_cast(json_extract_string(payload, '$.precipitation_mm') as double) as precipitation_mm,
  try_cast(json_extract_string(payload, '$.updated_at') as timestamptz)  as updated_at,
  event_id,
  payload as _raw
from bronze.weather
