// Silver `weapons_<type>`: one table per weapon type, as the weapons project kept them (silver.weapons_all unions
// them). A family: one definition and one SQL file, a table per type.
import type { TableSpec } from '../../../jobs/table-spec.ts';

/** The wiki's weapon type pages; a new type means a line here (and one in silver.weapons_all). */
export const WEAPON_TYPES = ['Long Sword', 'Great Sword', 'Lance', 'Bow', 'Hammer', 'Dual Blades'] as const;

export const weaponTable = (type: string) => `weapons_${type.toLowerCase().replaceAll(' ', '_')}`;

export default WEAPON_TYPES.map(
  (type) =>
    ({
      name: weaponTable(type),
      layer: 'silver',
      description: `${type} weapons from the game wiki: rarity, attack, affinity, element and slots.`,
      from: ['bronze.weapons'],
      primaryKey: ['name'],
      writeMode: 'merge',
      latestBy: 'edited_at desc, event_id desc',
      params: { weapon_type: type },
      expectations: {
        rarity_in_range: { check: 'rarity between 1 and 10', action: 'quarantine' },
        attack_positive: { check: 'attack > 0', action: 'quarantine' },
      },
      columns: {
        name: 'Weapon name',
        weapon_type: 'Weapon type',
        rarity: 'Rarity, 1 (common) to 10',
        attack: 'Attack value',
        affinity_pct: 'Affinity in % (may be negative)',
        element: 'Element (Fire, Water, …) or null',
        element_damage: 'Element damage or null',
        slots: 'Decoration slots (0–3)',
        edited_at: 'When the wiki page was last edited (UTC)',
        edited_by: "Who last edited it: a keyed hash of the wiki user's handle (strata_hash('<handle>') finds one)",
        event_id: 'Envelope id of the bronze event',
      },
    }) satisfies TableSpec,
);
