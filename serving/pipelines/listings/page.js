// The listings example's dashboard page: drawn in the browser from the API.
import { barChart } from '/assets/charts.js';
import { card, empty, table, number, rows } from '/assets/kit.js';

export async function render() {
  const data = await rows('listings_price_m2', 'order=-month,city&limit=10000');
  const chart = card('Median asking price per m² by city (latest month, p10–p90)', { wide: true });
  if (!data.length)
    return empty(chart, 'No listings yet: pnpm ingest:run listings, then pnpm job:silver and pnpm job:gold.');
  const latestMonth = data[0].month;
  const latest = data.filter((d) => d.month === latestMonth);
  barChart(chart, {
    bars: latest.map((d) => ({
      label: d.city,
      value: Number(d.price_m2_median),
      low: Number(d.price_m2_p10),
      high: Number(d.price_m2_p90),
    })),
    title: `Price per m², ${latestMonth}`,
    unit: ' €',
  });
  table(card('Every city and month', { wide: true }), data, [
    ['City', (d) => d.city],
    ['Month', (d) => d.month],
    ['Listings', (d) => d.listings],
    ['Median €/m²', (d) => number(d.price_m2_median, 0)],
    ['p10', (d) => number(d.price_m2_p10, 0)],
    ['p90', (d) => number(d.price_m2_p90, 0)],
  ]);
}
