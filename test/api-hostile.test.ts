// The API against clients that misbehave on purpose, over real sockets: exports that are never read, a thousand live
// event streams, spoofed X-Forwarded-For hops. Every other request keeps its answer, and none is a 5xx.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createPool, type Pool } from '../core/postgres.ts';
import { createApp, type ApiSettings } from '../serving/app.ts';
import { LiveFeed } from '../serving/live-feed.ts';
import { serveApp } from '../serving/server.ts';
import { MAX_SUBSCRIBERS } from '../serving/routes/live.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const BIG_ROWS = 200_000;

/** An HTTP/1.1 request on a raw socket that never reads: the status line is all it looks at. */
function hostileRequest(port: number, path: string, headers: Record<string, string> = {}) {
  const socket = net.connect(port, '127.0.0.1');
  const head = Object.entries({ host: 'localhost', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`GET ${path} HTTP/1.1\r\n${head}\r\n`);
  const status = new Promise<number>((resolve, reject) => {
    socket.once('data', (chunk) => {
      socket.pause(); // from here on nothing is read: the kernel buffers fill and the server must cope
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1]));
    });
    socket.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, status, closed };
}

describe('the API against hostile clients', { timeout: 300_000 }, () => {
  let env: Isolated;
  let exportPool: Pool;
  let live: LiveFeed;
  const servers: ReturnType<typeof serveApp>[] = [];

  /** Serves the app on a free port with these settings; returns the port. */
  const start = async (settings: Partial<ApiSettings>): Promise<number> => {
    const app = createApp({ pool: env.rt.pool, exportPool, live, settings });
    const server = serveApp(app, '127.0.0.1', 0);
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return (server.address() as net.AddressInfo).port;
  };

  before(async () => {
    env = await isolatedRuntime();
    await env.rt.pool.query('create schema if not exists gold');
    await env.rt.pool.query(
      `create table gold.big_rows as select i::bigint as id, 'row number ' || i as label from generate_series(1, ${BIG_ROWS}) i`,
    );
    await env.rt.pool.query('alter table gold.big_rows add primary key (id)');
    await env.rt.pool.query(
      `create table gold.precise (id bigint primary key, big bigint, at timestamptz, local_at timestamp);
       insert into gold.precise values
         (1, 9007199254740993, '2026-11-12 09:00:00.123456+00', '2026-11-12 09:00:00.000001'),
         (2, -9223372036854775808, '2026-11-12 09:00:00.123457+00', '2026-11-12 09:00:00')`,
    );
    exportPool = createPool(env.config.databaseUrl, 4);
    live = new LiveFeed(env.config.databaseUrl);
    await live.start();
  });
  after(async () => {
    for (const server of servers) (server as unknown as { closeAllConnections(): void }).closeAllConnections();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await live?.stop();
    await exportPool?.end();
    await env?.cleanup();
  });

  it('keeps serving while exports are never read, refuses exports past the budget with 429, and frees stalled ones', async () => {
    const port = await start({
      rateLimitPerMinute: 0,
      trustProxy: true,
      maxExports: 4,
      exportsPerClient: 2,
      exportStallSeconds: 2,
    });
    // Ten clients (one spoofing two of its own) each open an export they never read.
    const hostile = Array.from({ length: 12 }, (_, i) =>
      hostileRequest(port, '/v1/tables/big_rows?format=csv', { 'x-forwarded-for': `10.0.0.${i % 10}` }),
    );
    const statuses = await Promise.all(hostile.map((h) => h.status));
    assert.equal(statuses.filter((s) => s === 200).length, 4, `statuses: ${statuses}`);
    assert.equal(statuses.filter((s) => s === 429).length, 8, `statuses: ${statuses}`);
    // Meanwhile every other request is answered from the API's own pool, at once and in full.
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        fetch(`http://127.0.0.1:${port}/v1/tables/big_rows?id=${i + 1}`).then(async (r) => ({
          status: r.status,
          body: (await r.json()) as { rows: { id: number; label: string }[] },
        })),
      ),
    );
    for (const [i, a] of answers.entries()) {
      assert.equal(a.status, 200);
      assert.deepEqual(a.body.rows, [{ id: i + 1, label: `row number ${i + 1}` }]);
    }
    // The stalled exports are closed by the server (a client reading at last finds the end), their connections back.
    const stalled = hostile.filter((_, i) => statuses[i] === 200);
    for (const h of stalled) h.socket.resume();
    await Promise.all(stalled.map((h) => h.closed));
    for (const h of hostile) h.socket.destroy();
    // A client that reads gets the whole table.
    const full = await fetch(`http://127.0.0.1:${port}/v1/tables/big_rows?format=ndjson`);
    assert.equal(full.status, 200);
    const lines = (await full.text()).trim().split('\n');
    assert.equal(lines.length, BIG_ROWS);
    assert.deepEqual(JSON.parse(lines.at(-1)!), { id: BIG_ROWS, label: `row number ${BIG_ROWS}` });
    assert.equal(exportPool.totalCount - exportPool.idleCount, 0, 'no export connection is held');
  });

  it(`takes ${MAX_SUBSCRIBERS} live event streams, ten per client, and answers 429 past either cap`, async () => {
    const port = await start({ rateLimitPerMinute: 0, trustProxy: true, eventsPerClient: 10 });
    const streams = Array.from({ length: MAX_SUBSCRIBERS }, (_, i) =>
      hostileRequest(port, '/v1/events', { 'x-forwarded-for': `10.1.${Math.floor(i / 10)}.1` }),
    );
    const statuses = await Promise.all(streams.map((s) => s.status));
    assert.equal(statuses.filter((s) => s === 200).length, MAX_SUBSCRIBERS);
    const past = await fetch(`http://127.0.0.1:${port}/v1/events`, { headers: { 'x-forwarded-for': '10.9.9.9' } });
    assert.equal(past.status, 429);
    for (const s of streams) s.socket.destroy();
    // The slots come back as the sockets close; one client alone still gets ten at most.
    const ownFeed = async () => {
      for (let tries = 0; tries < 100; tries++) {
        const mine = Array.from({ length: 11 }, () =>
          hostileRequest(port, '/v1/events', { 'x-forwarded-for': '10.2.0.1' }),
        );
        const got = await Promise.all(mine.map((m) => m.status));
        for (const m of mine) m.socket.destroy();
        if (!got.includes(429) || got.filter((s) => s === 200).length === 10) return got;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return [];
    };
    const got = await ownFeed();
    assert.equal(got.filter((s) => s === 200).length, 10, `statuses: ${got}`);
    assert.equal(got.filter((s) => s === 429).length, 1, `statuses: ${got}`);
  });

  it('limits every route by the hop the proxy appended, whatever the client wrote before it', async () => {
    const port = await start({ rateLimitPerMinute: 5, trustProxy: true });
    const statuses: number[] = [];
    for (const [i, path] of [
      '/v1/tables',
      '/metrics',
      '/docs',
      '/',
      '/readyz',
      '/healthz',
      '/openapi.json',
    ].entries()) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { 'x-forwarded-for': `203.0.113.${i}, 198.51.100.7` },
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
    // Another proxy-seen address has a bucket of its own.
    const other = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { 'x-forwarded-for': '198.51.100.8' } });
    assert.equal(other.status, 200);
  });

  it('gives back a bigint past 2^53 and microsecond timestamps exactly, in JSON, CSV and NDJSON, and finds a row by them', async () => {
    const port = await start({ rateLimitPerMinute: 0 });
    const get = (query: string) => fetch(`http://127.0.0.1:${port}/v1/tables/precise?${query}`).then((r) => r.text());
    const first =
      '{"id":1,"big":9007199254740993,"at":"2026-11-12T09:00:00.123456Z","local_at":"2026-11-12T09:00:00.000001Z"}';
    const second =
      '{"id":2,"big":-9223372036854775808,"at":"2026-11-12T09:00:00.123457Z","local_at":"2026-11-12T09:00:00.000Z"}';
    assert.match(await get('order=id'), new RegExp(`"rows":\\[${escapeRegExp(first)},${escapeRegExp(second)}\\]`));
    assert.equal(await get('order=id&format=ndjson'), `${first}\n${second}\n`);
    assert.equal(
      await get('order=id&format=csv'),
      'id,big,at,local_at\r\n' +
        '1,9007199254740993,2026-11-12T09:00:00.123456Z,2026-11-12T09:00:00.000001Z\r\n' +
        '2,-9223372036854775808,2026-11-12T09:00:00.123457Z,2026-11-12T09:00:00.000Z\r\n',
    );
    // A value read back as a filter finds exactly its row.
    for (const filter of [
      'at=2026-11-12T09:00:00.123456Z',
      'big=9007199254740993',
      'local_at=2026-11-12T09:00:00.000001Z',
    ])
      assert.match(await get(filter), new RegExp(`"rows":\\[${escapeRegExp(first)}\\]`), filter);
  });
});

describe('internal error texts', { timeout: 120_000 }, () => {
  let env: Isolated;
  const KEY = 'k'.repeat(32);
  const ERROR =
    'fetch https://collector:pw@api.example.com/v1/obs?token=s3cret failed: IO Error: "/srv/strata/.strata/lake/silver/t/a.parquet"\nselect * from secret_table';
  before(async () => {
    env = await isolatedRuntime();
    await env.rt.pool.query(
      `insert into strata_catalog.runs (run_id, kind, target, status, finished_at, error, details)
       values ('r-1', 'collect', 'weather', 'failed', now(), $1, $2)`,
      [ERROR, JSON.stringify({ errors: [ERROR] })],
    );
  });
  after(async () => env?.cleanup());

  it('are redacted for anonymous readers and whole for a key holder', async () => {
    const app = createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0, keys: [KEY] } });
    const runs = async (headers: Record<string, string>) =>
      (
        (await (await app.request('/v1/runs?kind=collect', { headers })).json()) as {
          runs: { error: string; details: { errors: string[] } }[];
        }
      ).runs[0]!;
    const anonymous = await runs({});
    const redacted = 'fetch https://api.example.com/… failed: IO Error: "…/a.parquet"';
    assert.equal(anonymous.error, redacted);
    assert.deepEqual(anonymous.details, { errors: [redacted] });
    for (const secret of ['pw', 's3cret', '/srv/strata', 'secret_table'])
      assert.ok(!JSON.stringify(anonymous).includes(secret), secret);
    const holder = await runs({ authorization: `Bearer ${KEY}` });
    assert.equal(holder.error, ERROR);
    // A key that is not one of STRATA_API_KEYS is refused, not read as anonymous: its sender learns it is wrong.
    const wrong = await app.request('/v1/runs?kind=collect', {
      headers: { authorization: 'Bearer wrong-key-wrong-key-wrong-key' },
    });
    assert.equal(wrong.status, 401);
    assert.doesNotMatch(await wrong.text(), /s3cret|secret_table/);
  });

  it('a filter value PostgreSQL refuses is named without its own text', async () => {
    await env.rt.pool.query('create schema if not exists gold');
    await env.rt.pool.query('create table gold.days (day date primary key)');
    const app = createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0 } });
    const res = await app.request('/v1/tables/days?day=2026-13-45');
    assert.equal(res.status, 400);
    const { error } = (await res.json()) as { error: { message: string } };
    assert.equal(error.message, 'invalid filter value: a date or time out of range');
  });
});

describe('HTTP at its edges', { timeout: 120_000 }, () => {
  let env: Isolated;
  let server: ReturnType<typeof serveApp>;
  let base: string;
  before(async () => {
    env = await isolatedRuntime();
    await env.rt.pool.query(
      `create schema if not exists gold;
       create table gold.cells (id int primary key, v text);
       insert into gold.cells values (1, '=HYPERLINK("http://x")'), (2, '-5+1'), (3, '@sum'), (4, 'plain, text')`,
    );
    server = serveApp(createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0 } }), '127.0.0.1', 0);
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await env?.cleanup();
  });

  /** One raw request; the whole answer as text (the server closes or the body ends). */
  const raw = (head: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(base).port), '127.0.0.1');
      let text = '';
      socket.on('data', (d) => {
        text += d.toString('latin1');
        if (/\r\n\r\n\{.*\}$/s.test(text)) socket.end();
      });
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
      socket.write(head);
    });

  it("answers a URL or headers past Node's limit with a JSON 414 or 431", async () => {
    const longUrl = await raw(`GET /v1/tables/cells?v=${'a'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`);
    assert.match(longUrl, /^HTTP\/1\.1 414 URI Too Long\r\n/);
    assert.match(longUrl, /\{"error":\{"code":"uri_too_long","message":"the URL is longer than 8192 bytes/);
    const bigHeader = await raw(`GET /healthz HTTP/1.1\r\nhost: x\r\ncookie: ${'c'.repeat(20_000)}\r\n\r\n`);
    assert.match(bigHeader, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.match(bigHeader, /"code":"headers_too_large"/);
  });

  it('answers a wrong method 405 with Allow, and HEAD with the Content-Length GET has', async () => {
    const wrong = await fetch(`${base}/v1/tables`, { method: 'DELETE' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET, HEAD');
    assert.equal(((await wrong.json()) as { error: { code: string } }).error.code, 'method_not_allowed');
    const get = await fetch(`${base}/v1/tables/cells`);
    const head = await fetch(`${base}/v1/tables/cells`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(Number(head.headers.get('content-length')), (await get.arrayBuffer()).byteLength);
  });

  it('refuses a forged cursor and broken percent-encoding with 400', async () => {
    const forged = Buffer.from(JSON.stringify({ o: '', k: [null] })).toString('base64url');
    for (const query of [`cursor=${forged}`, 'v=%ZZ', 'v=%C3%28', 'v=abc%'])
      assert.equal((await fetch(`${base}/v1/tables/cells?${query}`)).status, 400, query);
  });

  it('documents /metrics in the OpenAPI document and neutralises formulas in CSV', async () => {
    const document = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(document.paths['/metrics']);
    assert.equal(
      await (await fetch(`${base}/v1/tables/cells?format=csv&order=id`)).text(),
      'id,v\r\n1,"\'=HYPERLINK(""http://x"")"\r\n2,\'-5+1\r\n3,\'@sum\r\n4,"plain, text"\r\n',
    );
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
