// The dashboard's pages: each reads the Strata API (same origin) and draws its charts and tables. Live pages listen
// to /v1/events and re-read their data after each gold load.
import { barChart, candleChart, lineChart, PALETTE } from './charts.js';

const main = document.getElementById('page');

async function api(path) {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

/** A card with a title, for one chart or table; returns its body element. */
function card(title, { wide = false, note } = {}) {
  const section = document.createElement('section');
  section.className = wide ? 'card wide' : 'card';
  const h = document.createElement('h2');
  h.textContent = title;
  section.appendChild(h);
  if (note) {
    const p = document.createElement('p');
    p.className = 'note';
    p.textContent = note;
    section.appendChild(p);
  }
  const body = document.createElement('div');
  section.appendChild(body);
  main.querySelector('.cards').appendChild(section);
  return body;
}

function empty(container, message) {
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = message;
  container.replaceChildren(p);
}

/** A table from rows; columns = [[header, row => value], …]. */
function table(container, rows, columns) {
  const t = document.createElement('table');
  const head = t.createTHead().insertRow();
  for (const [header] of columns)
    head.appendChild(Object.assign(document.createElement('th'), { textContent: header }));
  const body = t.createTBody();
  for (const row of rows) {
    const tr = body.insertRow();
    for (const [, value] of columns) {
      const cell = tr.insertCell();
      const v = value(row);
      if (v instanceof Node) cell.appendChild(v);
      else cell.textContent = v ?? '—';
    }
  }
  container.replaceChildren(t);
}

const number = (v, digits = 2) =>
  v === null || v === undefined ? '—' : Number(v).toLocaleString('en', { maximumFractionDigits: digits });
const ago = (iso) => {
  if (!iso) return 'never';
  const s = Math.round((Date.now() - Date.parse(iso)) / 1000);
  return s < 90
    ? `${s} s ago`
    : s < 5400
      ? `${Math.round(s / 60)} min ago`
      : s < 129600
        ? `${Math.round(s / 3600)} h ago`
        : `${Math.round(s / 86400)} d ago`;
};
const bytes = (n) =>
  n < 1024
    ? `${n} B`
    : n < 1048576
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1073741824
        ? `${(n / 1048576).toFixed(1)} MiB`
        : `${(n / 1073741824).toFixed(2)} GiB`;
const badge = (status) =>
  Object.assign(document.createElement('span'), { className: `badge ${status}`, textContent: status });
const groupBy = (rows, key) => rows.reduce((m, r) => m.set(r[key], [...(m.get(r[key]) ?? []), r]), new Map());
const rows = async (table, query) => (await api(`/v1/tables/${table}?${query}`)).rows;

const PAGES = {
  async health() {
    const [runs, streams, quality, tables] = await Promise.all([
      api('/v1/runs?limit=15'),
      api('/v1/streams'),
      api('/v1/quality'),
      api('/v1/tables'),
    ]);
    const backlog = card('Backlog per stream', { note: 'Entries the bronze writer has not yet written to the lake' });
    if (streams.streams.length)
      barChart(backlog, {
        bars: streams.streams.map((s) => ({ label: s.source, value: s.backlog })),
        title: 'Backlog per stream',
      });
    else empty(backlog, 'No stream yet: run a collector (pnpm ingest:run).');
    const quarantine = card('Quarantined rows per table', {
      note: 'Rows kept aside by quarantine rules, with their reasons',
    });
    const quarantined = quality.tables.filter((t) => t.quarantinedTotal > 0);
    if (quarantined.length)
      barChart(quarantine, {
        bars: quarantined.map((t) => ({ label: t.table.split('.')[1], value: t.quarantinedTotal, color: PALETTE[1] })),
        title: 'Quarantined rows',
      });
    else empty(quarantine, quality.tables.length ? 'No row quarantined.' : 'No job has run yet: pnpm job:silver.');
    table(card('Streams', { wide: true }), streams.streams, [
      ['Source', (s) => s.source],
      ['In Redis', (s) => number(s.length)],
      ['Backlog', (s) => number(s.backlog)],
      ['Lag', (s) => `${s.lagSeconds} s`],
      ['Consumers', (s) => s.consumers],
      ['Dead letters', (s) => number(quality.deadLetters[s.source] ?? s.deadLetters)],
    ]);
    table(card('Last runs', { wide: true }), runs.runs, [
      ['Started', (r) => ago(r.startedAt)],
      ['Kind', (r) => r.kind],
      ['Target', (r) => r.target],
      ['Status', (r) => badge(r.status)],
      ['Rows in', (r) => number(r.rowsIn, 0)],
      ['Rows out', (r) => number(r.rowsOut, 0)],
      ['Quarantined', (r) => number(r.rowsQuarantined, 0)],
      ['Duration', (r) => (r.durationMillis === null ? '—' : `${number(r.durationMillis / 1000, 1)} s`)],
      ['Error', (r) => r.error],
    ]);
    table(card('Gold tables served', { wide: true }), tables.tables, [
      ['Table', (t) => t.name],
      ['Rows', (t) => number(t.rows, 0)],
      ['Snapshot', (t) => t.snapshotId],
      ['Loaded', (t) => ago(t.loadedAt)],
    ]);
  },

  async weather() {
    const data = await rows(
      'weather_daily',
      'fields=city,date,temperature_min_c,temperature_mean_c,temperature_max_c,precipitation_mm&order=date,city&limit=10000',
    );
    const chart = card('Mean temperature per city (°C)', { wide: true });
    if (!data.length) return empty(chart, 'No weather data yet: pnpm demo loads some.');
    const byCity = groupBy(data, 'city');
    lineChart(chart, {
      series: [...byCity].map(([city, r]) => ({
        name: city,
        points: r.map((d) => [d.date, Number(d.temperature_mean_c)]),
      })),
      title: 'Mean temperature per city',
      unit: '°',
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
  },

  async listings() {
    const data = await rows('listings_price_m2', 'order=-month,city&limit=10000');
    const chart = card('Median asking price per m² by city (latest month, p10–p90)', { wide: true });
    if (!data.length) return empty(chart, 'No listings yet: run the listings collector and the jobs.');
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
      viewWidth: 960,
    });
    table(card('Every city and month', { wide: true }), data, [
      ['City', (d) => d.city],
      ['Month', (d) => d.month],
      ['Listings', (d) => d.listings],
      ['Median €/m²', (d) => number(d.price_m2_median, 0)],
      ['p10', (d) => number(d.price_m2_p10, 0)],
      ['p90', (d) => number(d.price_m2_p90, 0)],
    ]);
  },

  async odds() {
    const [payouts, matches] = await Promise.all([
      rows('bookmaker_payouts', 'order=-payout_rate_mean&limit=1000'),
      api('/v1/odds/matches?limit=100'),
    ]);
    const payout = card('Mean payout rate per bookmaker (%)', {
      note: '1 / (1/odds₁ + 1/odds_X + 1/odds₂): the share of stakes a bookmaker pays back',
    });
    if (!payouts.length) return empty(payout, 'No odds yet: run the odds collector and the jobs.');
    barChart(payout, {
      bars: payouts.map((p) => ({
        label: p.bookmaker,
        value: Number(p.payout_rate_mean) * 100,
        low: Number(p.payout_rate_min) * 100,
        high: Number(p.payout_rate_max) * 100,
      })),
      title: 'Payout rate',
      unit: '%',
      min: 75,
    });
    const wins = new Map();
    for (const m of matches.matches)
      for (const o of Object.values(m.best)) wins.set(o.bookmaker, (wins.get(o.bookmaker) ?? 0) + 1);
    barChart(
      card('Best prices offered, per bookmaker', {
        note: 'How often each bookmaker has the highest odds on an outcome',
      }),
      {
        bars: [...wins].sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value, color: PALETTE[2] })),
        title: 'Best prices',
      },
    );
    const best = (o) => (m) => (m.best[o] ? `${number(m.best[o].odds)} (${m.best[o].bookmaker})` : '—');
    table(card('Best odds per match', { wide: true }), matches.matches, [
      ['Kick-off', (m) => m.kickoff.slice(0, 16).replace('T', ' ')],
      ['League', (m) => m.league],
      ['Match', (m) => m.match],
      ['1', best('1')],
      ['X', best('X')],
      ['2', best('2')],
      ['Payout at best', (m) => (m.payoutRate === null ? '—' : `${number(m.payoutRate * 100)} %`)],
    ]);
  },

  async crypto() {
    const status = document.createElement('p');
    status.className = 'live';
    main.querySelector('h1').after(status);
    const cards = new Map();
    const draw = async () => {
      const { coins } = await api('/v1/crypto');
      if (!coins.length && !cards.size) empty(card('Candles'), 'No prices yet: run the crypto collector and the jobs.');
      for (const coin of coins) {
        if (!cards.has(coin.symbol)) cards.set(coin.symbol, card(coin.symbol, { wide: true }));
        const { candles } = await api(`/v1/crypto/${coin.symbol}/candles?grain=minute&limit=120`);
        const body = cards.get(coin.symbol);
        candleChart(body, { candles, title: `${coin.symbol}, one-minute candles` });
        const price = document.createElement('p');
        price.className = 'price';
        price.textContent = `${number(coin.price, 4)} at ${coin.minute.slice(11, 16)} UTC`;
        body.prepend(price);
      }
      status.textContent = `Live: updated ${new Date().toLocaleTimeString()}`;
    };
    await draw();
    const events = new EventSource('/v1/events?tables=crypto_ohlc_minute');
    events.addEventListener('gold-loaded', () => void draw().catch(showError));
    events.addEventListener('resync', () => void draw().catch(showError));
    events.addEventListener('ready', () => (status.dataset.live = 'connected'));
  },

  async weapons() {
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
  },

  async lake() {
    const { tables } = await api('/v1/lake');
    const size = card('Bytes per layer');
    if (!tables.length) return empty(size, 'The lake is empty: pnpm demo fills it.');
    const layers = ['bronze', 'silver', 'gold'];
    barChart(size, {
      bars: layers.map((l, i) => ({
        label: l,
        value: tables.filter((t) => t.layer === l).reduce((s, t) => s + t.bytes, 0) / 1024,
        color: PALETTE[i + 3],
      })),
      title: 'KiB per layer',
      unit: ' KiB',
    });
    const detail = card('Partitions and files', { wide: true, note: 'Choose a table below' });
    const open = async (t, partition) => {
      const query = partition === undefined ? '' : `?partition=${encodeURIComponent(partition)}`;
      const d = await api(`/v1/lake/${t.layer}/${t.name}${query}`);
      detail.replaceChildren();
      const title = Object.assign(document.createElement('h3'), {
        textContent: `${t.layer}.${t.name}${partition ? ` / ${partition}` : ''}`,
      });
      const inner = document.createElement('div');
      detail.append(title, inner);
      if (partition === undefined) {
        table(inner, d.partitions, [
          ['Partition', (p) => link(partitionText(p.partition), () => open(t, partitionText(p.partition)))],
          ['Files', (p) => p.files],
          ['Rows', (p) => number(p.rows, 0)],
          ['Bytes', (p) => bytes(p.bytes)],
        ]);
      } else {
        table(inner, d.files, [
          ['Path', (f) => f.path],
          ['Rows', (f) => number(f.rows, 0)],
          ['Bytes', (f) => bytes(f.bytes)],
          ['Snapshot', (f) => f.snapshotId],
          ['Added', (f) => ago(f.addedAt)],
        ]);
      }
    };
    table(card('Tables', { wide: true }), tables, [
      ['Layer', (t) => t.layer],
      ['Table', (t) => link(t.name, () => open(t))],
      ['Snapshot', (t) => t.snapshotId],
      ['Files', (t) => t.files],
      ['Partitions', (t) => t.partitions],
      ['Rows', (t) => number(t.rows, 0)],
      ['Bytes', (t) => bytes(t.bytes)],
      ['Committed', (t) => ago(t.committedAt)],
    ]);
  },
};

const partitionText = (p) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join('/') || 'none';

function link(label, onClick) {
  const a = Object.assign(document.createElement('a'), { href: '#', textContent: label });
  a.addEventListener('click', (e) => {
    e.preventDefault();
    onClick().catch(showError);
  });
  return a;
}

function showError(error) {
  const p = Object.assign(document.createElement('p'), { className: 'error', textContent: error.message });
  main.querySelector('.cards').prepend(p);
}

const page = main.dataset.page;
PAGES[page]()
  .then(() => (main.dataset.ready = 'true'))
  .catch((error) => {
    showError(error);
    main.dataset.ready = 'error';
  });
