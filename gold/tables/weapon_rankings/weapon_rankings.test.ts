// Given wiki rows of two weapon types, the rank of each weapon within its type by attack (ties: rarity, then name),
// read through the per-type silver tables and their union; an impossible rarity is quarantined upstream, and an
// edited page re-ranks its type in the next run.
import { tableTest } from '../../../pipeline/table-test.ts';

const weapon = (type: string, name: string, attack: number, rarity: number, edited = '01') => ({
  weapon_type: type,
  name,
  rarity: String(rarity),
  attack: String(attack),
  affinity: '10%',
  element: 'Fire 300',
  slots: '◯◯—',
  edited_at: `2026-11-${edited}T12:00:00Z`,
  page: `/wiki/${type}`,
});

tableTest({
  table: 'gold.weapon_rankings',
  cases: [
    {
      name: 'ranks each type by attack, then rarity, then name, and re-ranks after an edit',
      batches: [
        {
          given: {
            weapons: [
              weapon('Bow', 'Hunter Bow', 150, 2),
              weapon('Bow', 'Storm Bow', 210, 5),
              weapon('Bow', 'Ember Bow', 210, 6),
              weapon('Lance', 'Iron Lance', 180, 3),
              weapon('Lance', 'Bad Lance', 300, 12), // rarity out of 1–10: quarantined in silver.weapons_lance
            ],
          },
          expect: {
            rows: [
              { weapon_type: 'Bow', name: 'Ember Bow', attack_rank: 1, element: 'Fire', element_damage: 300, slots: 2 },
              { weapon_type: 'Bow', name: 'Storm Bow', attack_rank: 2, affinity_pct: 10 },
              { weapon_type: 'Bow', name: 'Hunter Bow', attack_rank: 3 },
              { weapon_type: 'Lance', name: 'Iron Lance', attack_rank: 1 },
            ],
          },
        },
        {
          given: { weapons: [weapon('Bow', 'Hunter Bow', 250, 2, '03')] },
          expect: {
            rows: [
              { weapon_type: 'Bow', name: 'Hunter Bow', attack_rank: 1, attack: 250 },
              { weapon_type: 'Bow', name: 'Ember Bow', attack_rank: 2 },
              { weapon_type: 'Bow', name: 'Storm Bow', attack_rank: 3 },
              { weapon_type: 'Lance', name: 'Iron Lance', attack_rank: 1 },
            ],
          },
        },
      ],
    },
  ],
});
