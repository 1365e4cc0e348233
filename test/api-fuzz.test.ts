// 10,000 generated requests against the API on real PostgreSQL and Redis: unknown and hostile table names, columns,
// operators, sort keys, cursors, huge limits, injection attempts in every value. None may answer 5xx; every SQL
// statement the API sends must name only relations of the catalog (gold tables PostgreSQL serves, the Strata catalog,
// PostgreSQL's own catalog) and contain no client text; and the gold tables must hold what they held before.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Pool } from '../core/postgres.ts';
import { createApp } from '../serving/app.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { loadPipelineFixture } from './support/pipeline-fixture.ts';

const REQUESTS = Number(process.env.STRATA_FUZZ_REQUESTS ?? 10_000);
/** Every hostile string carries this marker, so a statement holding client text is easy to spot. */
const MARK = 'FUZZ';
const KEY = 'f'.repeat(32);

const HOSTILE = [
  `'; drop table gold.weather_daily; -- ${MARK}`,
  `" or 1=1 -- ${MARK}`,
  `${MARK}') union select usename, passwd from pg_shadow --`,
  `$1${MARK}`,
  `\\x00${MARK}`,
  `${MARK}\u0000nul`,
  `${MARK}%00`,
  `${MARK}%C3%28`,
  `${MARK}%FF%FE`,
  `${MARK}\u202e\u{1F600}`,
  `${MARK}${'A'.repeat(3000)}`,
  `1e309${MARK}`,
  `-0${MARK}`,
  `NaN${MARK}`,
  `${MARK}/../../etc/passwd`,
  `pg_catalog.pg_user${MARK}`,
  `strata_catalog.runs${MARK}`,
  `${MARK}*`,
  `${MARK},city`,
  `__proto__${MARK}`,
  `constructor${MARK}`,
];
/** What HTTP can carry in a header at all (visible ASCII): other bytes never reach a server. */
const HEADER_SAFE = HOSTILE.filter((h) => /^[\x20-\x7e]*$/.test(h));
const VALUES = [
  'Paris',
  '2026-11-20',
  '2026-13-45',
  '12.5',
  '-1',
  '99999999999999999999999',
  'true',
  '',
  ' ',
  'null',
  ...HOSTILE,
];

/** A small seeded PRNG (mulberry32): the same 10k requests every run, so a failure can be replayed. */
function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe(`the API under ${REQUESTS} generated requests`, { timeout: 600_000 }, () => {
  let env: Isolated;
  const statements: string[] = [];
  let counts: Map<string, number>;

  before(async () => {
    env = await isolatedRuntime();
    await loadPipelineFixture(env.rt);
    counts = await goldCounts(env.rt.pool);
  });
  after(async () => env?.cleanup());

  it('answers every request without a 5xx, sends only catalog queries with no client text, and changes nothing', async () => {
    const { rows } = await env.rt.pool.query<{ name: string }>(
      "select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'gold' and relkind = 'r'",
    );
    const goldTables = rows.map((r) => r.name);
    const columns = [
      'city',
      'date',
      'temperature_mean_c',
      'symbol',
      'period_start',
      'bookmaker',
      'payout_rate_mean',
      'weapon_type',
      'attack_rank',
      'month',
      'price_m2_median',
      'league',
    ];
    const app = createApp({
      pool: recording(env.rt.pool, statements),
      redis: env.rt.redis(),
      store: env.rt.store,
      redisPrefix: env.config.redisPrefix,
      settings: { rateLimitPerMinute: 0, keys: [KEY], maxBodyBytes: 4096 },
      // A run "in progress" keeps fuzzed job requests from starting real runs; validation still comes first.
      admin: {
        sources: ['weather'],
        jobInProgress: async () => 'fuzz',
        startJob: () => Promise.reject(new Error('not reached')),
        replayDeadLetters: async (source) => ({
          source,
          runId: 'r',
          examined: 0,
          replayed: 0,
          duplicates: 0,
          stillFailing: 0,
          skipped: 0,
        }),
      },
    });
    const rand = random(20261123);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const enc = (s: string) => (rand() < 0.15 ? s : encodeURIComponent(s)); // raw text too: odd bytes must not crash the parser
    const tableName = () =>
      rand() < 0.7
        ? pick(goldTables)
        : pick([...HOSTILE, 'pg_user', 'weather_daily__load_1234', 'WEATHER_DAILY', '', '%2e%2e']);
    const tableQuery = () => {
      const params: string[] = [];
      const n = Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        const roll = rand();
        if (roll < 0.35)
          params.push(
            `${enc(rand() < 0.8 ? pick(columns) : pick(HOSTILE))}${rand() < 0.5 ? `[${pick(['eq', 'gte', 'lt', 'neq', 'like', 'in', '__proto__', 'constructor', `${MARK}`])}]` : ''}=${enc(pick(VALUES))}`,
          );
        else if (roll < 0.5)
          params.push(
            `order=${enc([pick(columns), `-${pick(columns)}`, pick(HOSTILE)].slice(0, 1 + Math.floor(rand() * 3)).join(','))}`,
          );
        else if (roll < 0.62)
          params.push(
            `fields=${enc([pick(columns), pick(columns), pick(HOSTILE)].slice(0, 1 + Math.floor(rand() * 3)).join(','))}`,
          );
        else if (roll < 0.75)
          params.push(
            `limit=${enc(pick(['1', '100', '10000', '10001', '0', '-5', '1e9', '99999999999999', '1.5', 'abc', ...HOSTILE]))}`,
          );
        else if (roll < 0.85) params.push(`format=${enc(pick(['json', 'csv', 'ndjson', 'xml', ...HOSTILE]))}`);
        else if (roll < 0.95)
          params.push(
            `cursor=${enc(pick([hostileCursor(pick(HOSTILE)), hostileCursor(null), 'eyJ9', pick(HOSTILE), Buffer.from(`{"o":"","k":["${MARK}"]}`).toString('base64url')]))}`,
          );
        else params.push(`count=${enc(pick(['exact', 'yes', ...HOSTILE]))}`);
      }
      return params.join('&');
    };
    const request = (): [string, RequestInit?] => {
      const roll = rand();
      if (roll < 0.6) return [`/v1/tables/${enc(tableName())}?${tableQuery()}`];
      if (roll < 0.67)
        return [
          `/v1/runs?${pick(['kind', 'target', 'status', 'limit', 'before'])}=${enc(pick(VALUES))}&limit=${enc(pick(['5', '501', '0', 'x', '9999']))}`,
        ];
      if (roll < 0.74)
        return [
          `/v1/lake/${enc(pick(['bronze', 'silver', 'gold', ...HOSTILE]))}/${enc(pick(['weather_observations', 'weather', ...HOSTILE]))}?partition=${enc(pick(['observed_date=2026-11-20', 'none', 'a=b/c=d', '=', ...HOSTILE]))}`,
        ];
      if (roll < 0.8) return [`/v1/odds/matches?${pick(['league', 'team', 'limit'])}=${enc(pick(VALUES))}`];
      if (roll < 0.86)
        return [
          `/v1/crypto/${enc(pick(['BTCUSDT', 'ETHUSDT', ...HOSTILE]))}/${pick(['latest', 'candles'])}?grain=${enc(pick(['minute', 'hour', 'day', ...HOSTILE]))}&limit=${enc(pick(['10', '1441', '0', ...HOSTILE]))}`,
        ];
      if (roll < 0.9)
        return [
          pick([
            '/v1/tables',
            '/v1/quality',
            '/v1/streams',
            '/v1/lake',
            '/v1/crypto',
            '/healthz',
            `/v1/${enc(pick(HOSTILE))}`,
            '/openapi.json',
          ]),
        ];
      const body = pick([
        `{"layer":"silver"}`,
        `{"layer":"${MARK}"}`,
        `{"layer":"gold","select":"${pick(HOSTILE).replace(/["\\]/g, '')}"}`,
        '{',
        'null',
        '[]',
        `"${'x'.repeat(5000)}"`,
        `{"layer":"silver","extra":1}`,
      ]);
      const headers: Record<string, string> = {
        'content-type': pick(['application/json', 'text/plain']),
        ...(rand() < 0.8 ? { authorization: `Bearer ${pick([KEY, 'wrong', pick(HEADER_SAFE)])}` } : {}),
      };
      return [
        pick(['/v1/admin/jobs', `/v1/admin/dead-letters/${enc(pick(['weather', ...HOSTILE]))}/replay`]),
        { method: 'POST', body, headers },
      ];
    };

    const statuses = new Map<number, number>();
    const failures: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const [path, init] = request();
      let status: number;
      try {
        const response = await app.request(path, init);
        status = response.status;
        await response.arrayBuffer(); // read streamed exports to the end: errors mid-stream count too
      } catch (error) {
        status = 599;
        failures.push(`${path}: ${(error as Error).message}`);
      }
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500 && failures.length < 20)
        failures.push(`${status} ${init?.method ?? 'GET'} ${path.slice(0, 300)}`);
    }
    console.log(
      `statuses: ${[...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(', ')}; ${statements.length} SQL statements`,
    );
    assert.deepEqual(failures, []);
    assert.equal([...statuses.keys()].filter((s) => s >= 500).length, 0);
    // The run must have exercised real queries, not only rejections.
    assert.ok((statuses.get(200) ?? 0) > REQUESTS / 10, `only ${statuses.get(200) ?? 0} requests answered 200`);
    assert.ok((statuses.get(400) ?? 0) > REQUESTS / 10, `only ${statuses.get(400) ?? 0} requests answered 400`);

    const allowed = new Set([
      ...goldTables.flatMap((t) => [`"gold"."${t}"`, `gold.${t}`]),
      ...['runs', 'tables', 'files', 'snapshots', 'gold_loads'].map((t) => `strata_catalog.${t}`),
      'pg_class',
      'pg_namespace',
      'pg_attribute',
      'pg_index',
      'pg_locks',
      'pg_stat_activity',
      'lateral',
    ]);
    const outside = new Set<string>();
    for (const sql of statements) {
      assert.ok(!sql.includes(MARK), `client text in SQL: ${sql.slice(0, 300)}`);
      for (const [, relation] of sql.matchAll(/\b(?:from|join)\s+([^\s(),]+)/gi))
        if (!allowed.has(relation!)) outside.add(relation!);
    }
    assert.deepEqual([...outside], []);
    assert.deepEqual(await goldCounts(env.rt.pool), counts);
  });
});

/** A cursor in the API's own encoding whose key values are hostile text (or null). */
function hostileCursor(value: string | null): string {
  return Buffer.from(JSON.stringify({ o: '', k: [value, value, value, value, value] })).toString('base64url');
}

/** The pool, recording the text of every statement sent through it or through a client it hands out. */
function recording(pool: Pool, statements: string[]): Pool {
  const textOf = (q: unknown) => (typeof q === 'string' ? q : String((q as { text?: string }).text ?? ''));
  const wrap = <T extends object>(target: T, extra: (prop: PropertyKey) => unknown): T =>
    new Proxy(target, {
      get(t, prop) {
        const special = extra(prop);
        if (special) return special;
        const value = Reflect.get(t, prop, t);
        return typeof value === 'function' ? value.bind(t) : value;
      },
    });
  const query =
    (t: { query: (...args: unknown[]) => unknown }) =>
    (q: unknown, ...rest: unknown[]) => {
      statements.push(textOf(q));
      return t.query(q, ...rest);
    };
  return wrap(pool, (prop) => {
    if (prop === 'query') return query(pool as never);
    if (prop === 'connect')
      return async () => {
        const client = await pool.connect();
        return wrap(client, (p) => (p === 'query' ? query(client as never) : undefined));
      };
    return undefined;
  });
}

async function goldCounts(pool: Pool): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ name: string }>(
    "select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'gold' and relkind = 'r' order by 1",
  );
  const counts = new Map<string, number>();
  for (const { name } of rows)
    counts.set(name, Number((await pool.query(`select count(*) as n from gold."${name}"`)).rows[0].n));
  return counts;
}
