-- Every weapon type's table in one view.
select * from silver.weapons_long_sword
union all by name
select * from silver.weapons_great_sword
union all by name
select * from silver.weapons_lance
union all by name
select * from silver.weapons_bow
union all by name
select * from silver.weapons_hammer
union all by name
select * from silver.weapons_dual_blades
