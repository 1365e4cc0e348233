// Given wiki rows of several types, the per-type table silver.weapons_bow keeps only bows, typed from the wiki's text
// ("15%" → 15, "Ice 240" → Ice / 240, "—" → none, "◯◯—" → 2 slots), merged by name with the latest edit winning.
import { tableTest } from '../../../pipeline/table-test.ts';

const weapon = (type: string, name: string, fields: Record<string, string>, edited = '01') => ({
  weapon_type: type,
  name,
  rarity: '4',
  attack: '180',
  affinity: '0%',
  element: '—',
  slots: '—',
  ...fields,
  edited_at: `2026-11-${edited}T12:00:00Z`,
  page: `/wiki/${type}`,
});

tableTest({
  table: 'silver.weapons_bow',
  cases: [
    {
      name: 'keeps its own type, typed from the text, and the latest edit of each weapon',
      batches: [
        {
          given: {
            weapons: [
              weapon('Bow', 'Frost Bow', { affinity: '15%', element: 'Ice 240', slots: '◯◯—' }),
              weapon('Bow', 'Plain Bow', { affinity: '-10%' }),
              weapon('Lance', 'Frost Lance', { element: 'Ice 300' }),
            ],
          },
          expect: {
            rows: [
              { name: 'Frost Bow', affinity_pct: 15, element: 'Ice', element_damage: 240, slots: 2, attack: 180 },
              { name: 'Plain Bow', affinity_pct: -10, element: null, element_damage: null, slots: 0 },
            ],
            quarantine: 0,
          },
        },
        {
          given: { weapons: [weapon('Bow', 'Plain Bow', { attack: '195', affinity: '-10%' }, '05')] },
          expect: {
            rows: [
              { name: 'Frost Bow', attack: 180 },
              { name: 'Plain Bow', attack: 195 },
            ],
          },
        },
      ],
    },
  ],
});
