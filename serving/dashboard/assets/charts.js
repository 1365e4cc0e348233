// The dashboard's charts, drawn by Apache ECharts (served from node_modules on the dashboard's own origin, see
// docs/decisions/0034-dashboard-charts-on-echarts.md): bars, lines over a true time axis and OHLC candlesticks, with
// readable fonts, a palette sized to the series, legends and tooltips, every time in UTC. Canvas rendering and
// canvas tooltips keep the strict content security policy (no inline style). Each chart's element says how many
// marks it drew in data-points, which the end-to-end test compares with PostgreSQL.
import * as echarts from '/assets/vendor/echarts.js';
import { number } from './kit.js';

const TABLEAU = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const FONT = { fontFamily: 'system-ui, -apple-system, "Segoe UI", sans-serif', fontSize: 13, color: '#374151' };

/** n colours that stay apart: Tableau's for up to nine, then evenly spaced hues in two lightnesses. */
export function palette(n) {
  if (n <= TABLEAU.length) return TABLEAU.slice(0, n);
  return Array.from({ length: n }, (_, i) => `hsl(${Math.round((i * 360) / n)}, 62%, ${i % 2 ? 38 : 52}%)`);
}
export const ACCENT = TABLEAU[0];

/** A UTC time as the axis and tooltips show it: 2026-11-21 09:30 UTC. */
export const utc = (t) => `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Time axes say their zone under their labels. */
const TIME_AXIS = {
  type: 'time',
  name: 'time (UTC)',
  nameLocation: 'middle',
  nameGap: 28,
  nameTextStyle: { color: '#6b7280' },
  axisLabel: { hideOverlap: true },
};

const charts = new Set();
addEventListener('resize', () => {
  for (const c of charts) c.resize();
});

/** A chart element in the container (replacing what it held), sized by its class; returns the ECharts instance. */
function mount(container, { height = 'medium', points, label }) {
  const el = document.createElement('div');
  el.className = `chart ${height}`;
  el.dataset.points = String(points);
  el.setAttribute('role', 'img');
  el.setAttribute('aria-label', label);
  // A redraw (a live page redraws on every load) replaces the chart: the old one is let go entirely.
  for (const old of container.querySelectorAll('.chart')) {
    const previous = echarts.getInstanceByDom(old);
    if (!previous) continue;
    charts.delete(previous);
    previous.dispose();
  }
  container.replaceChildren(el);
  const chart = echarts.init(el, null, { renderer: 'canvas' });
  charts.add(chart);
  return chart;
}

const base = (extra) => ({
  ...extra,
  useUTC: true,
  animation: false,
  textStyle: FONT,
  tooltip: { renderMode: 'richText', textStyle: { fontSize: 13 }, confine: true, ...extra.tooltip },
  grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true, ...extra.grid },
});

/**
 * Bars with full labels, horizontal when there are many or their labels are long; optional low–high ranges are
 * drawn as whiskers and shown in the tooltip. bars = [{ label, value, low?, high? }].
 */
export function barChart(container, { bars, title, unit = '', min, color = ACCENT, horizontal }) {
  const across = horizontal ?? (bars.length > 8 || bars.some((b) => String(b.label).length > 12));
  const chart = mount(container, { height: 'medium', points: bars.length, label: title });
  // Horizontal bars take the height their labels need.
  if (across) chart.getDom().style.height = `${Math.max(160, 70 + 30 * bars.length)}px`;
  chart.resize();
  const labels = bars.map((b) => String(b.label));
  const ranged = bars.some((b) => b.low !== undefined && b.high !== undefined);
  const valueAxis = {
    type: 'value',
    min,
    // Counts get whole ticks.
    minInterval: bars.every((b) => Number.isInteger(b.value)) ? 1 : undefined,
    axisLabel: { formatter: (v) => `${number(v)}${unit}` },
    splitLine: { lineStyle: { color: '#eef0f3' } },
  };
  const categoryAxis = { type: 'category', data: labels, inverse: across, axisLabel: { interval: 0, ...FONT } };
  const series = [
    {
      type: 'bar',
      name: title,
      data: bars.map((b) => b.value),
      itemStyle: { color, borderRadius: across ? [0, 3, 3, 0] : [3, 3, 0, 0] },
      barMaxWidth: 36,
      label: { show: bars.length <= 12, position: across ? 'right' : 'top', formatter: (p) => number(p.value) },
    },
  ];
  if (ranged)
    series.push({
      type: 'custom',
      name: 'p10–p90',
      renderItem: (_params, api) => {
        const lowAt = api.coord(across ? [api.value(1), api.value(0)] : [api.value(0), api.value(1)]);
        const highAt = api.coord(across ? [api.value(2), api.value(0)] : [api.value(0), api.value(2)]);
        const cap = 5;
        const style = { stroke: '#111827', lineWidth: 1.5 };
        const line = (x1, y1, x2, y2) => ({ type: 'line', shape: { x1, y1, x2, y2 }, style });
        return {
          type: 'group',
          children: across
            ? [
                line(lowAt[0], lowAt[1], highAt[0], highAt[1]),
                line(lowAt[0], lowAt[1] - cap, lowAt[0], lowAt[1] + cap),
                line(highAt[0], highAt[1] - cap, highAt[0], highAt[1] + cap),
              ]
            : [
                line(lowAt[0], lowAt[1], highAt[0], highAt[1]),
                line(lowAt[0] - cap, lowAt[1], lowAt[0] + cap, lowAt[1]),
                line(highAt[0] - cap, highAt[1], highAt[0] + cap, highAt[1]),
              ],
        };
      },
      data: bars.map((b, i) => [i, b.low, b.high]),
      encode: across ? { y: 0, x: [1, 2] } : { x: 0, y: [1, 2] },
      z: 3,
      tooltip: { show: false },
    });
  chart.setOption(
    base({
      tooltip: {
        trigger: 'axis',
        axisPointer: { type: 'shadow' },
        formatter: (items) => {
          const b = bars[items[0].dataIndex];
          const range = b.low !== undefined ? `\n${number(b.low)}${unit} – ${number(b.high)}${unit}` : '';
          return `${b.label}\n${number(b.value)}${unit}${range}`;
        },
      },
      grid: { right: across ? 56 : 24 },
      xAxis: across ? valueAxis : categoryAxis,
      yAxis: across ? categoryAxis : valueAxis,
      series,
    }),
  );
  return chart;
}

/** Lines over a true UTC time axis, one colour per series, with a legend. series = [{ name, points: [[time, y]] }]. */
export function lineChart(container, { series, title, unit = '' }) {
  const chart = mount(container, {
    height: 'tall',
    points: series.reduce((n, s) => n + s.points.length, 0),
    label: title,
  });
  const colours = palette(series.length);
  chart.getDom().dataset.series = series.map((s) => s.name).join('|');
  chart.setOption(
    base({
      color: colours,
      legend: { type: 'scroll', top: 0, textStyle: FONT, itemWidth: 18 },
      grid: { top: 44, bottom: 28 },
      tooltip: {
        trigger: 'axis',
        formatter: (items) =>
          [
            utc(items[0].value[0]).replace(' 00:00 UTC', ' (UTC)'),
            ...items
              .slice()
              .sort((a, b) => b.value[1] - a.value[1])
              .map((i) => `${i.seriesName}: ${number(i.value[1])}${unit}`),
          ].join('\n'),
      },
      xAxis: TIME_AXIS,
      yAxis: {
        type: 'value',
        scale: true,
        axisLabel: { formatter: (v) => `${number(v)}${unit}` },
        splitLine: { lineStyle: { color: '#eef0f3' } },
      },
      series: series.map((s) => ({
        type: 'line',
        name: s.name,
        data: s.points,
        showSymbol: s.points.length < 40,
        symbolSize: 5,
        lineStyle: { width: 2 },
      })),
    }),
  );
  return chart;
}

/**
 * OHLC candlesticks on a true UTC time axis (a gap in trading is a gap), rising green and falling red.
 * candles = [{ start, open, high, low, close }], oldest first.
 */
export function candleChart(container, { candles, title }) {
  const chart = mount(container, { height: 'short', points: candles.length, label: title });
  const data = candles.map((c) => [
    Date.parse(c.start),
    Number(c.open),
    Number(c.close),
    Number(c.low),
    Number(c.high),
  ]);
  const digits = Math.max(2, 4 - Math.floor(Math.log10(Math.max(...data.map((d) => d[4]), 1))));
  chart.setOption(
    base({
      tooltip: {
        trigger: 'axis',
        formatter: (items) => {
          const [t, open, close, low, high] = items[0].value;
          const f = (v) => number(v, digits);
          return `${utc(t)}\nopen ${f(open)}  close ${f(close)}\nlow ${f(low)}  high ${f(high)}`;
        },
      },
      grid: { top: 16, bottom: 28 },
      xAxis: TIME_AXIS,
      yAxis: {
        type: 'value',
        scale: true,
        axisLabel: { formatter: (v) => number(v, digits) },
        splitLine: { lineStyle: { color: '#eef0f3' } },
      },
      series: [
        {
          type: 'candlestick',
          name: title,
          data,
          encode: { x: 0, y: [1, 2, 3, 4] },
          barMaxWidth: 14,
          itemStyle: { color: '#16a34a', color0: '#dc2626', borderColor: '#15803d', borderColor0: '#b91c1c' },
        },
      ],
    }),
  );
  return chart;
}
