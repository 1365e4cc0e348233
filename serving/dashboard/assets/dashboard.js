// The dashboard's own pages (pipeline health, the lake browser), and the loader of every other page: a pipeline's page
// is served at /pages/<name>.js from serving/pipelines/<name>/page.js. Each reads the Strata API (same origin).
import { barChart, PALETTE } from './charts.js';
import { ago, api, badge, bytes, card, empty, link, main, number, partitionText, showError, table } from './kit.js';

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
    table(
      card('Tables', { wide: true, note: "Each table's latest job; a gold table whose load failed is failed" }),
      quality.tables,
      [
        ['Table', (t) => t.table],
        ['Status', (t) => badge(t.status)],
        ['Quarantined', (t) => number(t.quarantinedTotal, 0)],
        ['Finished', (t) => ago(t.lastLoad?.finishedAt ?? t.lastRun?.finishedAt)],
        ['Error', (t) => (t.lastLoad?.status === 'failed' ? t.lastLoad.error : t.lastRun?.error)],
      ],
    );
    table(card('Gold tables served', { wide: true }), tables.tables, [
      ['Table', (t) => t.name],
      ['Rows', (t) => number(t.rows, 0)],
      ['Snapshot', (t) => t.snapshotId],
      ['Loaded', (t) => ago(t.loadedAt)],
    ]);
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

const page = main.dataset.page;
const render = PAGES[page] ?? (async () => (await import(`/pages/${page}.js`)).render());
render()
  .then(() => (main.dataset.ready = 'true'))
  .catch((error) => {
    showError(error);
    main.dataset.ready = 'error';
  });
