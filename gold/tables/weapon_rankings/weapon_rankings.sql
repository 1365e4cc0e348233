-- Weapons ranked within their type by attack (ties: higher rarity first, then by name).
select
  weapon_type, name,
  row_number() over (partition by weapon_type order by attack desc, rarity desc, name) as attack_rank,
  attack, rarity, affinity_pct, element, element_damage, slots
from silver.weapons_all
