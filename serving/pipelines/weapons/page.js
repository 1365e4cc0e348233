// The weapons example's dashboard page: drawn in the browser from the API.
import { barChart, palette } from '/assets/charts.js';
import { api, card, empty, groupBy, number, rows } from '/assets/kit.js';

export async function render() {
  const [ranked, rarity, quality] = await Promise.all([
    rows('weapon_rankings', 'attack_rank[lte]=5&order=weapon_type,attack_rank&limit=10000'),
    rows('weapon_rarity_counts', 'limit=10000'),
    api('/v1/quality'),
  ]);
  // A type page that yielded no weapon was kept as a dead letter; with the bundled wiki fixture that is the Hammer
  // page, whose layout the fixture changes on purpose.
  const letters = quality.deadLetters.weapons ?? 0;
  if (letters > 0) {
    const missing = card('Missing weapon types', { wide: true });
    empty(
      missing,
      `${number(letters, 0)} page(s) or row(s) of the wiki could not be read and were kept as dead letters, so their weapons are missing here. ` +
        "With the bundled fixture this is deliberate: it changes the Hammer page's layout to show how a page that yields " +
        'nothing is dead-lettered. See them: pnpm sql -c "select reason from bronze.weapons__dead_letters"',
    );
  }
  if (!ranked.length)
    return empty(card('Rankings'), 'No weapons yet: pnpm ingest:run weapons, then pnpm job:silver and pnpm job:gold.');
  const types = [...groupBy(ranked, 'weapon_type')];
  const colours = palette(types.length);
  for (const [i, [type, weapons]] of types.entries()) {
    barChart(card(`${type}: top ${weapons.length} by attack`), {
      bars: weapons.map((w) => ({ label: w.name, value: Number(w.attack) })),
      title: `${type} by attack`,
      color: colours[i],
      horizontal: true,
    });
  }
  if (rarity.length) {
    const counts = new Map();
    for (const r of rarity) counts.set(r.rarity, (counts.get(r.rarity) ?? 0) + Number(r.weapons));
    barChart(card('Weapons per rarity'), {
      bars: [...counts].sort((a, b) => a[0] - b[0]).map(([label, value]) => ({ label: `★${label}`, value })),
      title: 'Weapons per rarity',
      horizontal: false,
    });
  }
}
