// The weather example's dashboard page: drawn in the browser from the API.
import { lineChart } from '/assets/charts.js';
import { card, empty, table, number, groupBy, rows } from '/assets/kit.js';

export async function render() {
  const data = await rows(
    'weather_daily',
    'fields=city,date,temperature_min_c,temperature_mean_c,temperature_max_c,precipitation_mm&order=date,city&limit=10000',
  );
  const chart = card('Mean temperature per city (°C)', { wide: true });
  if (!data.length) return empty(chart, 'No weather data yet: pnpm demo collects and loads some.');
  const byCity = groupBy(data, 'city');
  lineChart(chart, {
    series: [...byCity].map(([city, r]) => ({
      name: city,
      points: r.map((d) => [Date.parse(d.date), Number(d.temperature_mean_c)]),
    })),
    title: 'Mean temperature per city',
    unit: ' °C',
  });
  const latest = [...byCity.values()].map((r) => r.at(-1));
  table(card('Latest day per city', { wide: true }), latest, [
    ['City', (d) => d.city],
    ['Day', (d) => d.date],
    ['Min °C', (d) => number(d.temperature_min_c)],
    ['Mean °C', (d) => number(d.temperature_mean_c)],
    ['Max °C', (d) => number(d.temperature_max_c)],
    ['Rain mm', (d) => number(d.precipitation_mm)],
  ]);
}
