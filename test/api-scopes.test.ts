// Reads scoped by API key (docs/api.md), route by route: with STRATA_API_READ=key an anonymous read is refused, a
// key reads only the tables (and pipeline routes) its read:<pattern> scopes cover, read:operations the operational
// routes, admin everything; with STRATA_API_READ=open anonymous reads pass and a narrow key stays narrow.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KeyRing } from '../core/sensitive.ts';
import { createApp } from '../serving/app.ts';
import { parseApiKeys } from '../serving/security.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const ADMIN = 'admin-key-0123456789abcdef';
const SHOP = 'shop-reader-0123456789abcdef';
const OPS = 'operations-0123456789abcdef';
const SENSITIVE = 'shop-sensitive-0123456789abcdef';
const KEYS = [ADMIN, `${SHOP}@read:shop_*`, `${OPS}@read:operations`, `${SENSITIVE}@read:shop_*+read:sensitive`];
const ring = KeyRing.parse(`k1:${'ab'.repeat(32)}`);
const EMAIL = ring.encrypt('buyer@example.fr');

describe('reads scoped by API key', { timeout: 120_000 }, () => {
  let env: Isolated;
  before(async () => {
    env = await isolatedRuntime();
    await env.rt.pool.query(`create schema if not exists gold;
      create table gold.shop_orders (id bigint primary key, total numeric); insert into gold.shop_orders values (1, 9.5);
      create table gold.shop_totals (day date primary key, total numeric); insert into gold.shop_totals values ('2026-12-01', 9.5);
      create table gold.staff_pay (id bigint primary key, amount numeric); insert into gold.staff_pay values (1, 1000);
      create table gold.shop_buyers (id bigint primary key, email text, email_hash text);
      insert into gold.shop_buyers values (1, '${EMAIL}', '${ring.hash('buyer@example.fr')}')`);
  });
  after(async () => env?.cleanup());

  const app = (read: 'open' | 'key') =>
    createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 0, keys: KEYS, read }, keyRing: ring });
  const status = async (a: ReturnType<typeof app>, path: string, key?: string, method = 'GET') =>
    (await a.request(path, { method, headers: key ? { authorization: `Bearer ${key}` } : {} })).status;
  /** 401 and 403 as they are; any other answer (a pipeline's table may not exist here: 503) as "let through", 200. */
  const guard = async (a: ReturnType<typeof app>, path: string, key?: string) => {
    const s = await status(a, path, key);
    return s === 401 || s === 403 ? s : 200;
  };

  it('parses keys and scopes, listing every problem', () => {
    assert.deepEqual(
      parseApiKeys(KEYS).keys.map((k) => k.scopes),
      [['admin'], ['read:shop_*'], ['read:operations'], ['read:shop_*', 'read:sensitive']],
    );
    assert.deepEqual(parseApiKeys(['short@read:x', `${SHOP}@write:all+read:Bad`]).problems, [
      'key 1: needs ≥ 24 characters (e.g. `openssl rand -hex 24`)',
      'key 2: unknown scope "write:all" (admin, read:<table pattern>, read:operations, read:sensitive)',
      'key 2: unknown scope "read:Bad" (admin, read:<table pattern>, read:operations, read:sensitive)',
    ]);
    assert.throws(() => createApp({ pool: env.rt.pool, settings: { keys: [`${SHOP}@nope`] } }), /unknown scope "nope"/);
  });

  it('with STRATA_API_READ=key, answers each route by the scope it needs', async () => {
    const a = app('key');
    // [path, anonymous, read:shop_*, read:operations, admin]
    const table: [string, number, number, number, number][] = [
      ['/v1/tables', 401, 200, 200, 200],
      ['/v1/tables/shop_orders', 401, 200, 403, 200],
      ['/v1/tables/shop_totals?format=csv', 401, 200, 403, 200],
      ['/v1/tables/staff_pay', 401, 403, 403, 200],
      ['/v1/runs', 401, 403, 200, 200],
      ['/v1/quality', 401, 403, 200, 200],
      ['/v1/logs', 401, 403, 200, 200],
      ['/v1/lake', 401, 403, 200, 200],
      ['/metrics', 401, 403, 200, 200],
      ['/v1/crypto', 401, 403, 403, 200],
      ['/healthz', 200, 200, 200, 200],
      ['/openapi.json', 200, 200, 200, 200],
      ['/', 200, 200, 200, 200],
    ];
    for (const [path, ...expected] of table) {
      const got = [
        await guard(a, path),
        await guard(a, path, SHOP),
        await guard(a, path, OPS),
        await guard(a, path, ADMIN),
      ];
      assert.deepEqual(got, expected, path);
    }
    assert.equal(await status(a, '/v1/tables', 'not-a-key-of-this-api-at-all'), 401);
    assert.equal(await status(a, '/v1/admin/jobs', SHOP, 'POST'), 403);
    assert.equal(await status(a, '/v1/admin/jobs', OPS, 'POST'), 403);
  });

  it('lists only the tables a key may read, and says which scope is missing', async () => {
    const a = app('key');
    const names = async (key: string) =>
      (
        (await (await a.request('/v1/tables', { headers: { authorization: `Bearer ${key}` } })).json()) as {
          tables: { name: string }[];
        }
      ).tables
        .map((t) => t.name)
        .filter((n) => /^(shop|staff)_/.test(n))
        .sort();
    assert.deepEqual(await names(SHOP), ['shop_buyers', 'shop_orders', 'shop_totals']);
    assert.deepEqual(await names(OPS), []);
    assert.deepEqual(await names(ADMIN), ['shop_buyers', 'shop_orders', 'shop_totals', 'staff_pay']);
    const refused = await a.request('/v1/tables/staff_pay', { headers: { authorization: `Bearer ${SHOP}` } });
    assert.deepEqual(await refused.json(), {
      error: { code: 'forbidden', message: 'this key lacks the scope read:staff_pay' },
    });
    const anonymous = await a.request('/v1/tables/staff_pay');
    assert.match(((await anonymous.json()) as { error: { message: string } }).error.message, /STRATA_API_READ=key/);
  });

  it('with STRATA_API_READ=open, reads anonymously, while a narrow key stays narrow', async () => {
    const a = app('open');
    for (const path of ['/v1/tables', '/v1/tables/staff_pay', '/v1/runs', '/metrics', '/v1/crypto'])
      assert.equal(await guard(a, path), 200, path);
    assert.equal(await status(a, '/v1/tables/staff_pay', SHOP), 403);
    assert.equal(await status(a, '/v1/tables/shop_orders', SHOP), 200);
    assert.equal(await status(a, '/v1/admin/jobs', undefined, 'POST'), 401);
  });

  it('masks encrypted values unless the key has read:sensitive (or admin), in pages and exports alike', async () => {
    const hash = ring.hash('buyer@example.fr');
    for (const mode of ['open', 'key'] as const) {
      const a = app(mode);
      const read = async (format: 'json' | 'ndjson', key?: string) => {
        const response = await a.request(`/v1/tables/shop_buyers?format=${format}`, {
          headers: key ? { authorization: `Bearer ${key}` } : {},
        });
        if (response.status !== 200) return response.status;
        const text = await response.text();
        const rows =
          format === 'json'
            ? (JSON.parse(text) as { rows: unknown[] }).rows
            : text
                .trim()
                .split('\n')
                .map((l) => JSON.parse(l));
        return rows;
      };
      const masked = [{ id: 1, email: '[sensitive]', email_hash: hash }];
      const clear = [{ id: 1, email: 'buyer@example.fr', email_hash: hash }];
      assert.deepEqual(await read('json'), mode === 'open' ? masked : 401, `${mode}: anonymous`);
      for (const format of ['json', 'ndjson'] as const) {
        assert.deepEqual(await read(format, SHOP), masked, `${mode}: read:shop_* (${format})`);
        assert.deepEqual(await read(format, SENSITIVE), clear, `${mode}: read:sensitive (${format})`);
        assert.deepEqual(await read(format, ADMIN), clear, `${mode}: admin (${format})`);
      }
      assert.equal(await read('json', OPS), 403, `${mode}: read:operations`);
    }
    // The scope read:sensitive names no table: alone, it reads none.
    const alone = createApp({
      pool: env.rt.pool,
      settings: { rateLimitPerMinute: 0, keys: [`${SENSITIVE}@read:sensitive`], read: 'key' },
      keyRing: ring,
    });
    const refused = await alone.request('/v1/tables/shop_buyers', {
      headers: { authorization: `Bearer ${SENSITIVE}` },
    });
    assert.equal(refused.status, 403);
  });
});
