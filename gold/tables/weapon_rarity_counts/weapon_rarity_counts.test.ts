// Given wiki rows of two weapon types, how many weapons each type has at each rarity; a weapon whose rarity is edited
// moves between counts in the next run.
import { tableTest } from '../../../pipeline/table-test.ts';

const weapon = (type: string, name: string, rarity: number, edited = '01') => ({
  weapon_type: type,
  name,
  rarity: String(rarity),
  attack: '200',
  affinity: '0%',
  element: '—',
  slots: '—',
  edited_at: `2026-11-${edited}T12:00:00Z`,
  page: `/wiki/${type}`,
});

tableTest({
  table: 'gold.weapon_rarity_counts',
  cases: [
    {
      name: 'counts weapons per type and rarity, and follows an edit',
      batches: [
        {
          given: {
            weapons: [
              weapon('Hammer', 'Stone Hammer', 3),
              weapon('Hammer', 'War Hammer', 3),
              weapon('Hammer', 'Thunder Hammer', 7),
              weapon('Dual Blades', 'Twin Fangs', 3),
            ],
          },
          expect: {
            rows: [
              { weapon_type: 'Dual Blades', rarity: 3, weapons: 1 },
              { weapon_type: 'Hammer', rarity: 3, weapons: 2 },
              { weapon_type: 'Hammer', rarity: 7, weapons: 1 },
            ],
          },
        },
        {
          given: { weapons: [weapon('Hammer', 'War Hammer', 7, '04')] },
          expect: {
            rows: [
              { weapon_type: 'Dual Blades', rarity: 3, weapons: 1 },
              { weapon_type: 'Hammer', rarity: 3, weapons: 1 },
              { weapon_type: 'Hammer', rarity: 7, weapons: 2 },
            ],
          },
        },
      ],
    },
  ],
});
