// The dashboard's own pages (pipeline health, the gold tables and a page for each, the lake browser), and the loader
// of every other page: a pipeline's page is served at /pages/<name>.js from serving/pipelines/<name>/page.js. Each
// reads the Strata API (same origin).
import { barChart, lineChart, palette } from './charts.js';
import {
  ago,
  api,
  badge,
  bytes,
  card,
  empty,
  groupBy,
  link,
  main,
  number,
  partitionText,
  select,
  selected,
  showError,
  table,
  utcTime,
} from './kit.js';

/** A gold table's description without the load's own note (its snapshot and run, shown elsewhere). */
const described = (t) => (t.description ?? '').replace(/ \(lake snapshot \d+, run [^)]*\)$/, '');

/** A table or a run not refreshed for this long is called stale on the health page. */
const STALE_HOURS = 24;
const hoursSince = (iso) => (iso ? (Date.now() - Date.parse(iso)) / 3_600_000 : Number.POSITIVE_INFINITY);

/** What needs someone's attention, worst first: each { level, text, hint }. */
function problems({ runs, streams, quality }) {
  const found = [];
  for (const t of quality.tables.filter((t) => t.status === 'failed'))
    found.push({
      level: 'error',
      text: `${t.table} failed: ${(t.lastLoad?.status === 'failed' ? t.lastLoad.error : t.lastRun?.error) ?? 'no error recorded'}`,
      hint: `pnpm job:${t.table.split('.')[0]} --select ${t.table.split('.')[1]} runs it again`,
    });
  const seen = new Set();
  for (const r of runs.runs.filter((r) => r.status === 'failed' && !r.kind.startsWith('job') && r.kind !== 'load')) {
    if (seen.has(`${r.kind} ${r.target}`) || hoursSince(r.startedAt) > STALE_HOURS) continue;
    seen.add(`${r.kind} ${r.target}`);
    found.push({ level: 'error', text: `${r.kind} ${r.target} failed ${ago(r.startedAt)}: ${r.error ?? ''}` });
  }
  for (const s of streams.streams.filter((s) => s.backlog > 0))
    found.push({
      level: 'warn',
      text: `${s.source}: ${number(s.backlog, 0)} entries not yet in the lake (oldest ${s.lagSeconds} s)`,
      hint: s.consumers ? 'the bronze writer is catching up' : 'no bronze writer is reading it: pnpm bronze',
    });
  for (const t of quality.tables.filter((t) => t.status !== 'failed')) {
    const finished = t.lastLoad?.finishedAt ?? t.lastRun?.finishedAt;
    if (t.lastRun && hoursSince(finished) > STALE_HOURS)
      found.push({
        level: 'warn',
        text: `${t.table} is stale: last refreshed ${ago(finished)}`,
        hint: 'pnpm scheduler refreshes it on STRATA_JOBS_SCHEDULE',
      });
  }
  for (const t of quality.tables.filter((t) => t.quarantinedTotal > 0))
    found.push({
      level: 'info',
      text: `${t.table}: ${number(t.quarantinedTotal, 0)} ${t.quarantinedTotal === 1 ? 'row' : 'rows'} quarantined`,
      hint: `pnpm sql -c "select * from ${t.table}__quarantine"`,
    });
  for (const [source, letters] of Object.entries(quality.deadLetters).filter(([, n]) => n > 0))
    found.push({
      level: 'info',
      text: `${source}: ${number(letters, 0)} dead letters`,
      hint: `pnpm sql -c "select reason, raw from bronze.${source}__dead_letters"`,
    });
  return found;
}

function attention(container, found) {
  if (!found.length)
    return empty(container, 'All clear: no failed run, no stale table, no backlog, nothing quarantined.');
  const list = document.createElement('ul');
  list.className = 'attention';
  for (const p of found) {
    const li = document.createElement('li');
    li.className = p.level;
    li.append(Object.assign(document.createElement('span'), { textContent: p.text }));
    if (p.hint) li.append(Object.assign(document.createElement('code'), { textContent: p.hint }));
    list.append(li);
  }
  container.replaceChildren(list);
}

const PAGES = {
  async health() {
    const [runs, streams, quality, tables] = await Promise.all([
      api('/v1/runs?limit=15'),
      api('/v1/streams'),
      api('/v1/quality'),
      api('/v1/tables'),
    ]);
    const found = problems({ runs, streams, quality });
    attention(
      card(found.length ? `Needs attention (${found.length})` : 'Needs attention', {
        wide: true,
        note: `Failed tables and runs, backlog, tables not refreshed for ${STALE_HOURS} h, quarantined rows and dead letters`,
      }),
      found,
    );
    const backlog = card('Backlog per stream', { note: 'Entries the bronze writer has not yet written to the lake' });
    if (!streams.streams.length) empty(backlog, 'No stream yet: run a collector (pnpm ingest:run <source>).');
    else if (streams.streams.every((s) => s.backlog === 0))
      empty(backlog, `No backlog: all ${streams.streams.length} streams are written to the lake.`);
    else
      barChart(backlog, {
        bars: streams.streams.map((s) => ({ label: s.source, value: s.backlog })),
        title: 'Backlog per stream',
      });
    const quarantine = card('Quarantined rows per table', {
      note: 'Rows kept aside by quarantine rules, with their reasons',
    });
    const quarantined = quality.tables.filter((t) => t.quarantinedTotal > 0);
    if (quarantined.length)
      barChart(quarantine, {
        bars: quarantined.map((t) => ({ label: t.table, value: t.quarantinedTotal })),
        title: 'Quarantined rows',
        color: '#e15759',
      });
    else empty(quarantine, quality.tables.length ? 'No row quarantined.' : 'No job has run yet: pnpm job:silver.');
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
    const detail = card('Run detail', {
      wide: true,
      note: "A run's log lines, oldest first: click a run's start time",
    });
    const showRun = async (runId) => {
      select({ run: runId });
      const { lines } = await api(`/v1/logs?run=${encodeURIComponent(runId)}&level=debug&limit=1000`);
      detail.dataset.run = runId;
      if (!lines.length) return empty(detail, `No log line for ${runId}.`);
      table(detail, lines.reverse(), [
        ['Time', (l) => utcTime(l.at)],
        ['Level', (l) => badge(l.level)],
        ['Command', (l) => l.command],
        ['Message', (l) => l.message],
      ]);
    };
    table(card('Last runs', { wide: true, note: 'Times in UTC' }), runs.runs, [
      ['Started', (r) => link(`${utcTime(r.startedAt)} (${ago(r.startedAt)})`, () => showRun(r.runId))],
      ['Kind', (r) => r.kind],
      ['Target', (r) => r.target],
      ['Status', (r) => badge(r.status)],
      ['Rows in', (r) => number(r.rowsIn, 0)],
      ['Rows out', (r) => number(r.rowsOut, 0)],
      ['Quarantined', (r) => number(r.rowsQuarantined, 0)],
      ['Duration', (r) => (r.durationMillis === null ? '—' : `${number(r.durationMillis / 1000, 1)} s`)],
      ['Error', (r) => r.error],
    ]);
    if (selected('run')) await showRun(selected('run'));
    else empty(detail, "Click a run's start time to see its log lines (GET /v1/logs?run=).");
    table(card('Streams', { wide: true }), streams.streams, [
      ['Source', (s) => s.source],
      ['In Redis', (s) => number(s.length)],
      ['Backlog', (s) => number(s.backlog)],
      ['Lag', (s) => `${s.lagSeconds} s`],
      ['Consumers', (s) => s.consumers],
      ['Dead letters', (s) => number(quality.deadLetters[s.source] ?? s.deadLetters)],
    ]);
    table(card('Gold tables served', { wide: true }), tables.tables, [
      ['Table', (t) => link(t.name, undefined, `/tables/${t.name}`)],
      ['Rows', (t) => number(t.rows, 0)],
      ['Snapshot', (t) => t.snapshotId],
      ['Loaded', (t) => `${utcTime(t.loadedAt)} (${ago(t.loadedAt)})`],
    ]);
  },

  async tables() {
    const { tables } = await api('/v1/tables');
    const rows = card('Rows per gold table', { wide: true, note: 'As served by PostgreSQL; each name opens its page' });
    if (!tables.length)
      return empty(rows, 'No gold table is served yet: pnpm demo, or pnpm job:gold after a collection.');
    barChart(rows, { bars: tables.map((t) => ({ label: t.name, value: t.rows })), title: 'Rows per gold table' });
    table(card('Gold tables', { wide: true }), tables, [
      ['Table', (t) => link(t.name, undefined, `/tables/${t.name}`)],
      ['Columns', (t) => t.columns.length],
      ['Rows', (t) => number(t.rows, 0)],
      ['Loaded', (t) => `${utcTime(t.loadedAt)} (${ago(t.loadedAt)})`],
      ['Description', (t) => described(t)],
    ]);
  },

  /** Any gold table: a chart chosen from its column types, and its first rows. */
  async table() {
    const name = main.dataset.table;
    const { tables } = await api('/v1/tables');
    const t = tables.find((x) => x.name === name);
    if (!t)
      return empty(
        card('No such table', { wide: true }),
        `No gold table named ${name}. Served: ${tables.map((x) => x.name).join(', ') || 'none yet (pnpm job:gold loads them)'}.`,
      );
    const isTime = (c) => /^(date|timestamp)/.test(c.type);
    const isNumber = (c) => /^(smallint|integer|bigint|numeric|real|double precision|decimal)/.test(c.type);
    const key = t.primaryKey.map((k) => t.columns.find((c) => c.name === k)).filter(Boolean);
    const time = key.find(isTime) ?? t.columns.find(isTime);
    // What can be drawn: the numbers that are not part of the key.
    const measures = t.columns.filter((c) => isNumber(c) && !t.primaryKey.includes(c.name));
    const measure = measures.find((m) => m.name === selected('measure')) ?? measures[0];
    // A row's name: its key without the time (with no key, its first text column).
    const naming = key.length ? key.filter((c) => c !== time) : t.columns.filter((c) => c.type === 'text').slice(0, 1);
    const nameOf = (r) => naming.map((c) => String(r[c.name])).join(' · ');
    const about = document.createElement('p');
    about.className = 'note';
    about.textContent = `${described(t)} ${number(t.rows, 0)} rows, loaded ${utcTime(t.loadedAt)}. Key: ${t.primaryKey.join(', ') || 'none'}.`;
    main.querySelector('h1').after(about);
    const chartCard = card(measure ? measure.name : 'Chart', { wide: true, note: measure?.description ?? undefined });
    const heading = chartCard.parentElement.querySelector('h2');
    if (measures.length > 1) {
      const picker = document.createElement('select');
      picker.setAttribute('aria-label', 'Measure');
      for (const m of measures) picker.append(new Option(m.name, m.name, false, m === measure));
      picker.addEventListener('change', () => {
        select({ measure: picker.value });
        location.reload();
      });
      heading.after(picker);
    }
    const query = (params) => api(`/v1/tables/${t.name}?${params}`).then((r) => r.rows);
    let drawn = false;
    if (measure && time) {
      // A line per name over the time, when the names are few enough to tell apart (twelve) and the times many
      // enough to make a line (three).
      const fields = [time.name, ...naming.map((c) => c.name), measure.name].join(',');
      const data = await query(`fields=${fields}&order=${time.name}&limit=5000`);
      const times = new Set(data.map((r) => r[time.name])).size;
      const groups = [
        ...groupBy(
          data.map((r) => ({ ...r, _name: nameOf(r) })),
          '_name',
        ),
      ];
      if (groups.length && groups.length <= 12 && times >= 3) {
        heading.textContent = `${measure.name} over ${time.name}${naming.length ? `, per ${naming.map((c) => c.name).join(' · ')}` : ''}`;
        lineChart(chartCard, {
          series: groups.map(([label, rows]) => ({
            name: label || measure.name,
            points: rows.map((r) => [Date.parse(r[time.name]), Number(r[measure.name])]),
          })),
          title: heading.textContent,
        });
        drawn = true;
      }
    }
    if (!drawn && measure) {
      // Otherwise the rows with the highest values, each named by its key.
      const named = time && key.includes(time) ? [...naming, time] : naming;
      const fields = [...named.map((c) => c.name), measure.name].join(',');
      const data = await query(`fields=${fields}&order=-${measure.name}&limit=30`);
      heading.textContent = `${measure.name}: the ${data.length} highest${named.length ? `, by ${named.map((c) => c.name).join(' · ')}` : ''}`;
      if (!data.length) empty(chartCard, 'The table is empty.');
      else
        barChart(chartCard, {
          bars: data.map((r) => ({
            label:
              named
                .map((c) => (isTime(c) ? String(r[c.name]).slice(0, 16).replace('T', ' ') : String(r[c.name])))
                .join(' · ') || measure.name,
            value: Number(r[measure.name]),
          })),
          title: heading.textContent,
        });
    } else if (!measure) empty(chartCard, 'No chart: the table has no numeric column to draw. Its rows are below.');
    const first = await query('limit=50');
    table(
      card(`First ${first.length} rows`, {
        wide: true,
        note: `GET /v1/tables/${t.name} serves them all, with filters`,
      }),
      first,
      t.columns.map((c) => [c.name, (r) => (r[c.name] === null ? null : String(r[c.name]))]),
    );
  },

  async lake() {
    const { tables } = await api('/v1/lake');
    const size = card('Bytes per layer');
    if (!tables.length) return empty(size, 'The lake is empty: pnpm demo fills it.');
    const layers = ['bronze', 'silver', 'gold'];
    barChart(size, {
      bars: layers.map((l) => ({
        label: l,
        value: tables.filter((t) => t.layer === l).reduce((s, t) => s + t.bytes, 0) / 1024,
      })),
      title: 'KiB per layer',
      unit: ' KiB',
      horizontal: false,
    });
    barChart(card('Rows per table'), {
      bars: tables.filter((t) => t.rows > 0).map((t) => ({ label: `${t.layer}.${t.name}`, value: t.rows })),
      title: 'Rows per table',
      color: palette(3)[1],
    });
    const snapshotsCard = card('Snapshots over time', {
      wide: true,
      note: 'Rows of the table at each commit; the latest ten listed below',
    });
    const detail = card('Partitions and files', {
      wide: true,
      note: 'Choose a table below; the choice stays in the URL',
    });
    const open = async (t, partition) => {
      select({ table: `${t.layer}.${t.name}`, partition });
      const query = partition === undefined ? '' : `?partition=${encodeURIComponent(partition)}`;
      const d = await api(`/v1/lake/${t.layer}/${t.name}${query}`);
      const snapshots = [...d.snapshots].reverse();
      if (snapshots.length) {
        lineChart(snapshotsCard, {
          series: [{ name: 'rows', points: snapshots.map((s) => [Date.parse(s.committedAt), s.rows]) }],
          title: `Snapshots of ${t.layer}.${t.name}`,
        });
        const latest = document.createElement('div');
        snapshotsCard.append(latest);
        table(latest, d.snapshots.slice(0, 10), [
          ['Snapshot', (s) => s.snapshotId],
          ['Operation', (s) => s.operation],
          ['Committed', (s) => utcTime(s.committedAt)],
          ['Files', (s) => number(s.files, 0)],
          ['Rows', (s) => number(s.rows, 0)],
          ['Bytes', (s) => bytes(s.bytes)],
        ]);
      } else empty(snapshotsCard, `${t.layer}.${t.name} has no snapshot yet.`);
      snapshotsCard.parentElement.querySelector('h2').textContent =
        `Snapshots of ${t.layer}.${t.name} (${d.snapshots.length})`;
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
        inner.append(link('← every partition', () => open(t)));
        const files = document.createElement('div');
        inner.append(files);
        table(files, d.files, [
          ['Path', (f) => f.path],
          ['Rows', (f) => number(f.rows, 0)],
          ['Bytes', (f) => bytes(f.bytes)],
          ['Snapshot', (f) => f.snapshotId],
          ['Added (UTC)', (f) => utcTime(f.addedAt)],
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
      ['Committed', (t) => `${utcTime(t.committedAt)} (${ago(t.committedAt)})`],
    ]);
    // The selection in the URL, or the largest silver table: the panel is never empty on arrival.
    const chosen =
      tables.find((t) => `${t.layer}.${t.name}` === selected('table')) ??
      tables.filter((t) => t.layer === 'silver').sort((a, b) => b.rows - a.rows)[0] ??
      tables[0];
    await open(
      chosen,
      chosen && `${chosen.layer}.${chosen.name}` === selected('table') ? selected('partition') : undefined,
    );
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
