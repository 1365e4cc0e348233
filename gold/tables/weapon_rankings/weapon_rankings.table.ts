// Gold `weapon_rankings`: the strongest weapons of each type.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'weapon_rankings',
  layer: 'gold',
  description: 'Weapons ranked by attack within their type.',
  from: ['silver.weapons_all'],
  primaryKey: ['weapon_type', 'name'],
  writeMode: 'replace',
  indexes: [['weapon_type', 'attack_rank']],
  columns: {
    weapon_type: 'Weapon type',
    name: 'Weapon name',
    attack_rank: 'Rank by attack within the type (1 = strongest; ties by rarity, then name)',
    attack: 'Attack value',
    rarity: 'Rarity (1–10)',
    affinity_pct: 'Affinity in %',
    element: 'Element or null',
    element_damage: 'Element damage or null',
    slots: 'Decoration slots',
  },
} satisfies TableSpec;
