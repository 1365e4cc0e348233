import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { TerminalError } from '../../../core/errors.ts';
import { httpCollector, nextFromLinkHeader, type HttpCollectorOptions } from './http-collector.ts';

const ITEMS = Array.from({ length: 23 }, (_, i) => ({
  id: i,
  updated_at: `2026-11-01T00:${String(i).padStart(2, '0')}:00Z`,
}));
let server: Server;
let base = '';
const hits: string[] = [];
let failuresLeft = 0;

before(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    hits.push(url.pathname + url.search);
    const send = (body: unknown, headers: Record<string, string> = {}) =>
      res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    const since = url.searchParams.get('updated_since');
    const items = since ? ITEMS.filter((x) => x.updated_at >= since) : ITEMS;
    const n = (name: string, d: number) => Number(url.searchParams.get(name) ?? d);
    if (url.pathname === '/flaky') {
      if (failuresLeft-- > 0)
        return void res.writeHead(failuresLeft % 2 ? 429 : 503, { 'retry-after': '1' }).end('busy');
      return send({ data: items.slice(0, 5) });
    }
    if (url.pathname === '/missing') return void res.writeHead(404).end('no');
    if (url.pathname === '/page') return send({ data: items.slice((n('page', 1) - 1) * 10, n('page', 1) * 10) });
    if (url.pathname === '/offset') return send(items.slice(n('offset', 0), n('offset', 0) + n('limit', 10)));
    if (url.pathname === '/cursor') {
      const at = n('after', 0);
      return send({ items: items.slice(at, at + 7), meta: { next: at + 7 < items.length ? String(at + 7) : null } });
    }
    if (url.pathname === '/link') {
      const page = n('p', 0);
      const link: Record<string, string> =
        (page + 1) * 8 < items.length ? { link: `</link?p=${page + 1}>; rel="next", </link?p=0>; rel="first"` } : {};
      return send(items.slice(page * 8, page * 8 + 8), link);
    }
    send({
      data: items.slice(n('from', 0), n('from', 0) + 9),
      next: n('from', 0) + 9 < items.length ? `/next?from=${n('from', 0) + 9}` : null,
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function ids(options: Partial<HttpCollectorOptions> & Pick<HttpCollectorOptions, 'pagination'>, context = {}) {
  const out: number[] = [];
  for await (const r of httpCollector({ url: `${base}/next`, recordsPath: 'data', sleep: async () => {}, ...options })(
    context,
  ))
    out.push((JSON.parse(r.text) as { id: number }).id);
  return out;
}
const all = ITEMS.map((x) => x.id);

describe('httpCollector', () => {
  it('follows a next URL from the body', async () => {
    assert.deepEqual(await ids({ pagination: { kind: 'next-url', nextPath: 'next' } }), all);
  });
  it('pages by number until an empty page', async () => {
    assert.deepEqual(await ids({ url: `${base}/page`, pagination: { kind: 'page', param: 'page' } }), all);
  });
  it('pages by offset until a short page', async () => {
    assert.deepEqual(
      await ids({
        url: `${base}/offset`,
        recordsPath: '',
        pagination: { kind: 'offset', param: 'offset', limitParam: 'limit', limit: 10 },
      }),
      all,
    );
  });
  it('pages by cursor from the body', async () => {
    assert.deepEqual(
      await ids({
        url: `${base}/cursor`,
        recordsPath: 'items',
        pagination: { kind: 'cursor', param: 'after', cursorPath: 'meta.next' },
      }),
      all,
    );
  });
  it('pages by Link header', async () => {
    assert.deepEqual(await ids({ url: `${base}/link`, recordsPath: '', pagination: { kind: 'link-header' } }), all);
    assert.equal(nextFromLinkHeader('<https://a/x?p=2>; rel="next"'), 'https://a/x?p=2');
    assert.equal(nextFromLinkHeader('<https://a/x?p=0>; rel="prev"'), undefined);
  });

  it('retries 429 and 5xx, waiting as Retry-After says', async () => {
    failuresLeft = 3;
    const waits: number[] = [];
    const got = await ids({
      url: `${base}/flaky`,
      pagination: { kind: 'page', param: 'none' },
      maxPages: 1,
      sleep: async (ms) => void waits.push(ms),
    }).catch((e: unknown) => e);
    assert.ok(Array.isArray(got), String(got));
    assert.equal(got.length, 5, 'the page the fourth attempt got');
    assert.deepEqual(waits.filter((w) => w === 1000).length, 3, 'one Retry-After wait per refusal');
  });

  it('stops on a 404 with a terminal error that names the URL', async () => {
    await assert.rejects(
      ids({ url: `${base}/missing`, pagination: { kind: 'page', param: 'p' } }),
      (e: unknown) => e instanceof TerminalError && /\/missing\?p=1 answered 404 Not Found/.test(e.message),
    );
  });

  it('spaces requests to the rate limit', async () => {
    const waits: number[] = [];
    await ids({
      pagination: { kind: 'next-url', nextPath: 'next' },
      maxRequestsPerSecond: 2,
      sleep: async (ms) => void waits.push(ms),
    });
    assert.equal(waits.length, 2, 'three pages: the second and third wait');
    for (const w of waits) assert.ok(w > 400 && w <= 500, `waited ${w} ms`);
  });

  it('asks only for records changed since the saved cursor, and proposes the newest as the next one', async () => {
    const proposed: Record<string, string> = {};
    const state = (saved?: string) => ({
      get: async () => saved,
      propose: (k: string, v: string) => {
        proposed[k] = v;
      },
    });
    assert.deepEqual(
      await ids(
        {
          pagination: { kind: 'next-url', nextPath: 'next' },
          incremental: { param: 'updated_since', field: 'updated_at' },
        },
        { state: state() },
      ),
      all,
    );
    assert.equal(proposed.cursor, '2026-11-01T00:22:00Z');
    hits.length = 0;
    const again = await ids(
      {
        pagination: { kind: 'next-url', nextPath: 'next' },
        incremental: { param: 'updated_since', field: 'updated_at' },
      },
      { state: state(proposed.cursor) },
    );
    assert.deepEqual(again, [22], 'only the record at the cursor comes again (inclusive)');
    assert.match(hits[0]!, /updated_since=2026-11-01T00%3A22%3A00Z/);
  });

  it('checks its options up front', () => {
    assert.throws(
      () =>
        httpCollector({
          url: 'not a url',
          recordsPath: 'data',
          pagination: { kind: 'offset', param: 'o', limitParam: 'l', limit: 0 },
        }),
      /url "not a url" is not an absolute URL[\s\S]*pagination.limit must be > 0/,
    );
  });
});
