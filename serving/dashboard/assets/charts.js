// Small SVG charts for the dashboard: lines, bars (with optional low–high whiskers) and OHLC candles. No library:
// the dashboard loads nothing from outside the API's own origin. Each chart's <svg> says how many marks it drew in
// data-points, which the end-to-end test compares with the data.
const NS = 'http://www.w3.org/2000/svg';
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

function svgEl(name, attrs = {}, parent) {
  const el = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (parent) parent.appendChild(el);
  return el;
}

function text(parent, x, y, content, attrs = {}) {
  const t = svgEl('text', { x, y, ...attrs }, parent);
  t.textContent = content;
  return t;
}

const format = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en') : Number(v.toFixed(2)).toString());

/** Round ticks covering [min, max]. */
function ticks(min, max, count = 5) {
  if (min === max) return [min];
  const step = 10 ** Math.floor(Math.log10((max - min) / count));
  const nice = [1, 2, 5, 10].map((m) => m * step).find((s) => (max - min) / s <= count) ?? 10 * step;
  const out = [];
  for (let v = Math.ceil(min / nice) * nice; v <= max + 1e-9; v += nice) out.push(Number(v.toFixed(10)));
  return out;
}

function frame(container, { width = 640, height = 260, title, unit }) {
  container.replaceChildren();
  const svg = svgEl('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart' }, container);
  if (title) svgEl('title', {}, svg).textContent = title;
  return { svg, width, height, margin: { top: 16, right: 16, bottom: 36, left: 64 }, unit };
}

function yAxis(f, min, max) {
  const { svg, width, height, margin } = f;
  const y = (v) => margin.top + (height - margin.top - margin.bottom) * (1 - (v - min) / (max - min || 1));
  for (const t of ticks(min, max)) {
    svgEl('line', { x1: margin.left, x2: width - margin.right, y1: y(t), y2: y(t), class: 'grid' }, svg);
    text(svg, margin.left - 6, y(t) + 4, `${format(t)}${f.unit ?? ''}`, { 'text-anchor': 'end', class: 'tick' });
  }
  return y;
}

function legend(container, names) {
  const list = document.createElement('ul');
  list.className = 'legend';
  names.forEach((name, i) => {
    const item = document.createElement('li');
    item.style.setProperty('--swatch', PALETTE[i % PALETTE.length]);
    item.textContent = name;
    list.appendChild(item);
  });
  container.appendChild(list);
}

/** Lines over a shared category axis (e.g. days): series = [{ name, points: [[x, y], …] }]. */
export function lineChart(container, { series, title, unit, viewWidth = 960 }) {
  const f = frame(container, { title, unit, width: viewWidth, height: 300 });
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p[0])))].sort();
  const values = series.flatMap((s) => s.points.map((p) => p[1])).filter((v) => v !== null);
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = (max - min) * 0.1 || 1;
  const y = yAxis(f, min - pad, max + pad);
  const { svg, width, height, margin } = f;
  const x = (v) => margin.left + ((width - margin.left - margin.right) * xs.indexOf(v)) / Math.max(xs.length - 1, 1);
  const every = Math.ceil(xs.length / 8);
  for (let i = 0; i < xs.length; i += every) {
    text(svg, x(xs[i]), height - 12, xs[i], { 'text-anchor': 'middle', class: 'tick' });
  }
  let points = 0;
  series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const drawn = s.points.filter((p) => p[1] !== null);
    svgEl(
      'polyline',
      { points: drawn.map((p) => `${x(p[0])},${y(p[1])}`).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 },
      svg,
    );
    for (const p of drawn) {
      const dot = svgEl('circle', { cx: x(p[0]), cy: y(p[1]), r: 3, fill: color, class: 'mark' }, svg);
      svgEl('title', {}, dot).textContent = `${s.name} ${p[0]}: ${format(p[1])}${unit ?? ''}`;
      points++;
    }
  });
  svg.dataset.points = String(points);
  legend(
    container,
    series.map((s) => s.name),
  );
  return points;
}

/** Vertical bars: bars = [{ label, value, low?, high? }] (low/high draw a whisker, e.g. p10–p90). */
export function barChart(container, { bars, title, unit, min: floor, viewWidth = 640 }) {
  const f = frame(container, { title, unit, width: viewWidth });
  const highs = bars.map((b) => b.high ?? b.value);
  const lows = bars.map((b) => b.low ?? b.value);
  const min = floor ?? Math.min(0, ...lows);
  const max = Math.max(...highs) * 1.08 || 1;
  const y = yAxis(f, min, max);
  const { svg, width, height, margin } = f;
  const slot = (width - margin.left - margin.right) / Math.max(bars.length, 1);
  const barWidth = Math.min(slot * 0.7, 80);
  bars.forEach((b, i) => {
    const x = margin.left + slot * i + (slot - barWidth) / 2;
    const rect = svgEl(
      'rect',
      {
        x,
        y: y(b.value),
        width: barWidth,
        height: Math.max(1, y(min) - y(b.value)),
        fill: b.color ?? PALETTE[0],
        class: 'mark',
        rx: 2,
      },
      svg,
    );
    svgEl('title', {}, rect).textContent =
      `${b.label}: ${format(b.value)}${unit ?? ''}${b.low !== undefined ? ` (${format(b.low)}–${format(b.high)})` : ''}`;
    if (b.low !== undefined && b.high !== undefined) {
      const cx = x + barWidth / 2;
      svgEl('line', { x1: cx, x2: cx, y1: y(b.low), y2: y(b.high), class: 'whisker' }, svg);
    }
    const label = b.label.length > 14 ? `${b.label.slice(0, 13)}…` : b.label;
    text(svg, x + barWidth / 2, height - 12, label, { 'text-anchor': 'middle', class: 'tick' });
  });
  svg.dataset.points = String(bars.length);
  return bars.length;
}

/** OHLC candles, oldest first: [{ start, open, high, low, close }]. */
export function candleChart(container, { candles, title, unit, viewWidth = 960 }) {
  const f = frame(container, { title, unit, width: viewWidth, height: 300 });
  const min = Math.min(...candles.map((c) => c.low));
  const max = Math.max(...candles.map((c) => c.high));
  const pad = (max - min) * 0.05 || Math.abs(max) * 0.001 || 1;
  const y = yAxis(f, min - pad, max + pad);
  const { svg, width, height, margin } = f;
  const slot = (width - margin.left - margin.right) / Math.max(candles.length, 1);
  const every = Math.ceil(candles.length / 6);
  candles.forEach((c, i) => {
    const cx = margin.left + slot * (i + 0.5);
    const up = c.close >= c.open;
    const color = up ? '#16a34a' : '#dc2626';
    const group = svgEl('g', { class: 'mark' }, svg);
    svgEl('line', { x1: cx, x2: cx, y1: y(c.high), y2: y(c.low), stroke: color }, group);
    const top = y(Math.max(c.open, c.close));
    svgEl(
      'rect',
      {
        x: cx - Math.max(slot * 0.35, 0.5),
        y: top,
        width: Math.max(slot * 0.7, 1),
        height: Math.max(1, y(Math.min(c.open, c.close)) - top),
        fill: color,
      },
      group,
    );
    svgEl('title', {}, group).textContent = `${c.start} O ${c.open} H ${c.high} L ${c.low} C ${c.close}`;
    if (i % every === 0) text(svg, cx, height - 12, c.start.slice(11, 16), { 'text-anchor': 'middle', class: 'tick' });
  });
  svg.dataset.points = String(candles.length);
  return candles.length;
}
