// Silver `weapons_all`: a view over the per-type weapon tables (no files of its own).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'weapons_all',
  layer: 'silver',
  description: 'All weapons of every type: a view over the silver.weapons_<type> tables.',
  from: [
    'silver.weapons_long_sword',
    'silver.weapons_great_sword',
    'silver.weapons_lance',
    'silver.weapons_bow',
    'silver.weapons_hammer',
    'silver.weapons_dual_blades',
  ],
  primaryKey: ['weapon_type', 'name'],
  writeMode: 'view',
} satisfies TableSpec;
