-- How many weapons each type has at each rarity.
select weapon_type, rarity, count(*) as weapons
from silver.weapons_all
group by weapon_type, rarity
