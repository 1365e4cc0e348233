-- Types the raw JSON payloads of bronze.weather and keeps the latest revision of each station-hour.
-- Values that do not cast become NULL and are caught by the table's expectations (quarantine).
with typed as (
  select
    json_extract_string(payload, '$.station_id')                       as station_id,
    json_extract_string(payload, '$.city')                             as city,
    json_extract_string(payload, '$.country')                          as country,
    observed_at,
    try_cast(json_extract_string(payload, '$.temperature_c') as double)    as temperature_c,
    try_cast(json_extract_string(payload, '$.humidity_pct') as double)     as humidity_pct,
    try_cast(json_extract_string(payload, '$.wind_kph') as double)         as wind_kph,
    try_cast(json_extract_string(payload, '$.precipitation_mm') as double) as precipitation_mm,
    try_cast(json_extract_string(payload, '$.updated_at') as timestamptz)  as updated_at,
    event_id,
    ingested_at,
    payload as _raw
  from bronze.weather
)
select * exclude (ingested_at)
from typed
qualify row_number() over (
  partition by station_id, observed_at
  order by updated_at desc nulls last, ingested_at desc, event_id desc
) = 1
