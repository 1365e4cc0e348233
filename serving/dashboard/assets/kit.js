// What every dashboard page uses: the API client, cards, tables, number and time formats, links and errors.
export const main = document.getElementById('page');

/** The API key this tab reads with, when the API needs one (STRATA_API_READ=key): kept for the tab's session only. */
const KEY_ITEM = 'strata-api-key';

export async function api(path) {
  const headers = { accept: 'application/json' };
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) headers.authorization = `Bearer ${key}`;
  const response = await fetch(path, { headers });
  const body = await response.json().catch(() => ({}));
  if (response.status === 401 || response.status === 403) askForKey(body.error?.message);
  if (!response.ok) throw new Error(body.error?.message ?? `${path} answered ${response.status}`);
  return body;
}

/**
 * Follows a server-sent event stream with the tab's key (EventSource cannot send one): `on[event](data)` for each
 * event, reconnecting after the server's `retry` (3 s) when the stream ends or fails. A 401/403 asks for a key and stops.
 */
export function liveEvents(path, on) {
  let retryMillis = 3000;
  const connect = async () => {
    const headers = { accept: 'text/event-stream' };
    const key = sessionStorage.getItem(KEY_ITEM);
    if (key) headers.authorization = `Bearer ${key}`;
    try {
      const response = await fetch(path, { headers });
      if (response.status === 401 || response.status === 403) {
        askForKey((await response.json().catch(() => ({}))).error?.message);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`${path} answered ${response.status}`);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const fields = { event: 'message', data: [] };
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            const [name, text] =
              colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
            if (name === 'data') fields.data.push(text);
            else if (name === 'event') fields.event = text;
            else if (name === 'retry' && Number(text) > 0) retryMillis = Number(text);
          }
          on[fields.event]?.(fields.data.join('\n'));
        }
      }
    } catch {
      // The network or the server went away: the next attempt comes after the retry delay.
    }
    setTimeout(connect, retryMillis);
  };
  void connect();
}

/** A form above the page for an API key (once), saying why: the API refused to read without one, or with this one. */
function askForKey(reason) {
  if (document.getElementById('api-key')) return;
  const form = document.createElement('form');
  form.id = 'api-key';
  form.className = 'key-form';
  const label = document.createElement('label');
  label.textContent = `${reason ?? 'This API needs a key.'} API key: `;
  const input = document.createElement('input');
  input.type = 'password';
  input.autocomplete = 'off';
  label.appendChild(input);
  const button = document.createElement('button');
  button.type = 'submit';
  button.textContent = 'Read with this key';
  form.append(label, button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (input.value.trim()) sessionStorage.setItem(KEY_ITEM, input.value.trim());
    else sessionStorage.removeItem(KEY_ITEM);
    location.reload();
  });
  main.prepend(form);
}

/** A card with a title, for one chart or table; returns its body element. */
export function card(title, { wide = false, note } = {}) {
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

export function empty(container, message) {
  const p = document.createElement('p');
  p.className = 'empty';
  p.textContent = message;
  container.replaceChildren(p);
}

/** A table from rows; columns = [[header, row => value], …]. */
export function table(container, rows, columns) {
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

export const number = (v, digits = 2) =>
  v === null || v === undefined ? '—' : Number(v).toLocaleString('en', { maximumFractionDigits: digits });
export const ago = (iso) => {
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
export const bytes = (n) =>
  n < 1024
    ? `${n} B`
    : n < 1048576
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1073741824
        ? `${(n / 1048576).toFixed(1)} MiB`
        : `${(n / 1073741824).toFixed(2)} GiB`;
/** An absolute time in UTC, the zone shown: 2026-11-21 09:30:12 UTC. */
export const utcTime = (iso) => (iso ? `${new Date(iso).toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—');

/** The page's selection lives in its URL (?table=…), so that a reload or a shared link shows the same thing. */
export const selected = (name) => new URL(location.href).searchParams.get(name) ?? undefined;
export function select(values) {
  const url = new URL(location.href);
  for (const [name, value] of Object.entries(values))
    if (value === undefined) url.searchParams.delete(name);
    else url.searchParams.set(name, value);
  history.replaceState(null, '', url);
}

export const badge = (status) =>
  Object.assign(document.createElement('span'), { className: `badge ${status}`, textContent: status });
export const groupBy = (rows, key) => rows.reduce((m, r) => m.set(r[key], [...(m.get(r[key]) ?? []), r]), new Map());
export const rows = async (table, query) => (await api(`/v1/tables/${table}?${query}`)).rows;

export const partitionText = (p) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${v}`)
    .join('/') || 'none';

/** A link: to another page (href), or running onClick in this one. */
export function link(label, onClick, href = '#') {
  const a = Object.assign(document.createElement('a'), { href, textContent: label });
  if (!onClick) return a;
  a.addEventListener('click', (e) => {
    e.preventDefault();
    onClick().catch(showError);
  });
  return a;
}

export function showError(error) {
  const p = Object.assign(document.createElement('p'), { className: 'error', textContent: error.message });
  main.querySelector('.cards').prepend(p);
}
