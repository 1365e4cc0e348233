-- The weapons of one type ({{weapon_type}}), typed from the wiki's text: "15%" → 15, "Fire 300" → Fire / 300,
-- "—" → none, "◯◯—" → 2 slots.
select
  json_extract_string(payload, '$.name')                                              as name,
  json_extract_string(payload, '$.weapon_type')                                       as weapon_type,
  try_cast(json_extract_string(payload, '$.rarity') as integer)                       as rarity,
  try_cast(json_extract_string(payload, '$.attack') as integer)                       as attack,
  try_cast(replace(json_extract_string(payload, '$.affinity'), '%', '') as integer)   as affinity_pct,
  nullif(split_part(json_extract_string(payload, '$.element'), ' ', 1), '—')          as element,
  try_cast(split_part(json_extract_string(payload, '$.element'), ' ', 2) as integer)  as element_damage,
  length(json_extract_string(payload, '$.slots')) - length(replace(json_extract_string(payload, '$.slots'), '◯', '')) as slots,
  try_cast(json_extract_string(payload, '$.edited_at') as timestamptz)                as edited_at,
  json_extract_string(payload, '$.edited_by')                                         as edited_by,
  event_id,
  payload as _raw
from bronze.weapons
where json_extract_string(payload, '$.weapon_type') = {{weapon_type}}
