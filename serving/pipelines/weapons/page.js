// The weapons example's dashboard page: drawn in the browser from the API.
import { barChart, PALETTE } from '/assets/charts.js';
import { card, empty, groupBy, rows } from '/assets/kit.js';

export async function render() {
  const [ranked, rarity] = await Promise.all([
    rows('weapon_rankings', 'attack_rank[lte]=5&order=weapon_type,attack_rank&limit=10000'),
    rows('weapon_rarity_counts', 'limit=10000'),
  ]);
  if (!ranked.length) return empty(card('Rankings'), 'No weapons yet: run the weapons collector and the jobs.');
  for (const [type, weapons] of groupBy(ranked, 'weapon_type')) {
    barChart(card(`${type}: top ${weapons.length} by attack`), {
      bars: weapons.map((w, i) => ({ label: w.name, value: Number(w.attack), color: PALETTE[i % PALETTE.length] })),
      title: `${type} by attack`,
    });
  }
  if (rarity.length) {
    const counts = new Map();
    for (const r of rarity) counts.set(r.rarity, (counts.get(r.rarity) ?? 0) + Number(r.weapons));
    barChart(card('Weapons per rarity'), {
      bars: [...counts]
        .sort((a, b) => a[0] - b[0])
        .map(([label, value]) => ({ label: `rarity ${label}`, value, color: PALETTE[4] })),
      title: 'Weapons per rarity',
    });
  }
}
