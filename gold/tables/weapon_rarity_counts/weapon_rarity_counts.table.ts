// Gold `weapon_rarity_counts`: weapons per type and rarity.
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'weapon_rarity_counts',
  layer: 'gold',
  description: 'Number of weapons per type and rarity.',
  from: ['silver.weapons_all'],
  primaryKey: ['weapon_type', 'rarity'],
  writeMode: 'replace',
  columns: { weapon_type: 'Weapon type', rarity: 'Rarity (1–10)', weapons: 'Weapons of that type and rarity' },
} satisfies TableSpec;
