-- One price tick per coin and second.
select
  json_extract_string(payload, '$.symbol')                          as symbol,
  try_cast(json_extract_string(payload, '$.ts') as timestamptz)     as ts,
  cast(observed_at as date)                                         as trade_date,
  try_cast(json_extract_string(payload, '$.price') as double)       as price,
  try_cast(json_extract_string(payload, '$.volume_24h') as double)  as volume_24h,
  event_id,
  payload as _raw
from bronze.crypto
