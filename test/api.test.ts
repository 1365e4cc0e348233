// The API on real PostgreSQL, Redis and lake storage, over every example pipeline's gold tables: the OpenAPI document
// passes Redocly's linter; cursor pages and csv/ndjson exports return exactly the table's rows; domain endpoints,
// runs, quality, streams, lake and metrics report what the services hold; rate limits, API keys, body limits, CORS
// and live events behave as documented.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { drainSource } from '../bronze/bronze-writer.ts';
import { withDuck } from '../core/duckdb.ts';
import { runJob } from '../jobs/job-runner.ts';
import { attachTable } from '../lake/lake-views.ts';
import { deadLetterKey, streamKey } from '../streams/keys.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { loadGold } from '../gold/gold-job.ts';
import { adminActions } from '../serving/admin-actions.ts';
import { createApp } from '../serving/app.ts';
import { LiveFeed } from '../serving/live-feed.ts';
import { CRYPTO, loadPipelineFixture, ODDS, WEATHER } from './support/pipeline-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

// biome-ignore lint/suspicious/noExplicitAny: response bodies of every shape, read field by field
type Json = Record<string, any>;
const KEY = 'k'.repeat(32);

describe('the API', { timeout: 240_000 }, () => {
  let env: Isolated;
  let app: ReturnType<typeof createApp>;
  /** Admin actions open a runtime of their own on first use; closed with the suite. */
  const opened: { close(): Promise<void> }[] = [];
  const get = async (path: string): Promise<Json> => {
    const response = await app.request(path);
    assert.equal(response.status, 200, `${path}: ${await response.clone().text()}`);
    return (await response.json()) as Json;
  };

  before(async () => {
    env = await isolatedRuntime();
    await loadPipelineFixture(env.rt);
    app = createApp({
      pool: env.rt.pool,
      redis: env.rt.redis(),
      store: env.rt.store,
      redisPrefix: env.config.redisPrefix,
      settings: { rateLimitPerMinute: 0 },
    });
  });
  after(async () => {
    for (const o of opened) await o.close();
    await env?.cleanup();
  });

  it("publishes an OpenAPI 3.1 document that Redocly's recommended rules pass with no problem", async () => {
    const document = await get('/openapi.json');
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/healthz',
      '/metrics',
      '/readyz',
      '/v1/admin/dead-letters/{source}/replay',
      '/v1/admin/jobs',
      '/v1/crypto',
      '/v1/crypto/{symbol}/candles',
      '/v1/crypto/{symbol}/latest',
      '/v1/events',
      '/v1/lake',
      '/v1/lake/{layer}/{table}',
      '/v1/logs',
      '/v1/odds/matches',
      '/v1/quality',
      '/v1/runs',
      '/v1/streams',
      '/v1/tables',
      '/v1/tables/{name}',
    ]);
    assert.deepEqual(document.paths['/v1/admin/jobs'].post.security, [{ apiKey: [] }]);
    assert.equal(document.components.securitySchemes.apiKey.scheme, 'bearer');
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: 'openapi.json',
      config: await createConfig({ extends: ['recommended'] }),
    });
    assert.deepEqual(
      problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`),
      [],
    );
  });

  it('renders the document at /docs without scripts', async () => {
    const response = await app.request('/docs');
    const page = await response.text();
    assert.match(page, /<code>\/v1\/tables\/\{name\}<\/code> — Rows of a gold table/);
    assert.doesNotMatch(page, /<script/);
    // A way back to the dashboard, and code spans shown as code rather than as literal backticks.
    assert.match(page, /<nav><a href="\/">← Dashboard<\/a><\/nav>/);
    assert.match(page, /<code>key=value<\/code> pairs joined by <code>\/<\/code>/);
    assert.doesNotMatch(page, /`/);
  });

  it('is ready when PostgreSQL, Redis and the storage answer', async () => {
    assert.deepEqual(await get('/readyz'), {
      status: 'ready',
      checks: { postgres: { ok: true }, redis: { ok: true }, storage: { ok: true } },
    });
  });

  it('lists the gold tables with exact row counts, primary keys, the snapshot served and when it was loaded', async () => {
    const { tables } = await get('/v1/tables');
    assert.deepEqual(
      tables.map((t: Json) => t.name),
      [
        'bookmaker_payouts',
        'crypto_ohlc_hour',
        'crypto_ohlc_minute',
        'listing_agencies',
        'listings_price_m2',
        'odds_best_prices',
        'weapon_rankings',
        'weapon_rarity_counts',
        'weather_daily',
      ],
    );
    const daily = tables.find((t: Json) => t.name === 'weather_daily');
    assert.equal(daily.rows, 12); // 3 cities × 4 days
    assert.deepEqual(daily.primaryKey, ['city', 'country', 'date']);
    assert.equal(
      daily.snapshotId,
      (await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'weather_daily' }))!.snapshotId,
    );
    assert.equal(
      daily.columns.find((c: Json) => c.name === 'temperature_max_c').description,
      'Highest hourly temperature of the day in °C',
    );
    // The counts come from the loads' record: listing the tables counts no table.
    const sent: string[] = [];
    const counting = new Proxy(env.rt.pool, {
      get: (pool, prop) =>
        prop === 'query'
          ? (text: unknown, ...rest: unknown[]) => {
              sent.push(typeof text === 'string' ? text : String((text as { text: string }).text));
              return (pool.query as (...a: unknown[]) => unknown)(text, ...rest);
            }
          : Reflect.get(pool, prop, pool),
    });
    const listed = await createApp({ pool: counting, settings: { rateLimitPerMinute: 0 } }).request('/v1/tables');
    assert.equal(listed.status, 200);
    assert.deepEqual(
      sent.filter((q) => /count\(/.test(q)),
      [],
    );
  });

  it('walks a sorted table page by page through cursors: every row once, in order, as one big page has them', async () => {
    const whole = await get('/v1/tables/weather_daily?order=-temperature_mean_c,city&limit=1000');
    assert.equal(whole.rows.length, 12);
    assert.equal(whole.nextCursor, null);
    const walked: Json[] = [];
    let next: string | null = '/v1/tables/weather_daily?order=-temperature_mean_c,city&limit=5&count=exact';
    let pages = 0;
    while (next) {
      const page: Json = await get(next);
      assert.equal(page.total, 12);
      walked.push(...page.rows);
      next = page.next;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(walked, whole.rows);
    const means = walked.map((r) => r.temperature_mean_c);
    assert.deepEqual(
      means,
      [...means].sort((a, b) => b - a),
    );
  });

  it('filters with operators and returns only the fields asked for', async () => {
    const page = await get(
      '/v1/tables/weather_daily?city=Paris&date[gte]=2026-11-20&fields=date,temperature_max_c&order=date',
    );
    const expected = ['2026-11-20', '2026-11-21'].map((day) => ({
      date: day,
      temperature_max_c: Math.max(
        ...WEATHER.filter((w) => w.city === 'Paris' && w.observed_at.startsWith(day)).map((w) => w.temperature_c),
      ),
    }));
    assert.deepEqual(page.rows, expected);
  });

  it('streams csv and ndjson exports with the same rows as JSON', async () => {
    const json = await get('/v1/tables/weather_daily?fields=city,date,temperature_mean_c&order=city,date&limit=100');
    const csv = await app.request(
      '/v1/tables/weather_daily?fields=city,date,temperature_mean_c&order=city,date&format=csv',
    );
    assert.equal(csv.headers.get('content-type'), 'text/csv; charset=utf-8');
    const lines = (await csv.text()).trimEnd().split('\r\n');
    assert.equal(lines[0], 'city,date,temperature_mean_c');
    assert.deepEqual(
      lines.slice(1),
      json.rows.map((r: Json) => `${r.city},${r.date},${r.temperature_mean_c}`),
    );
    const ndjson = await app.request(
      '/v1/tables/weather_daily?fields=city,date,temperature_mean_c&order=city,date&format=ndjson&limit=4',
    );
    assert.equal(ndjson.headers.get('content-type'), 'application/x-ndjson');
    assert.deepEqual(
      (await ndjson.text())
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l)),
      json.rows.slice(0, 4),
    );
  });

  it('answers bad input with 400 in the error shape, and unknown tables with 404', async () => {
    for (const path of [
      '/v1/tables/weather_daily?date[gte]=not-a-date',
      '/v1/tables/weather_daily?temperature_mean_c=abc',
      '/v1/tables/weather_daily?format=csv&date=%00',
    ]) {
      const response = await app.request(path);
      assert.equal(response.status, 400, path);
      assert.deepEqual(Object.keys(((await response.json()) as Json).error), ['code', 'message']);
    }
    assert.equal((await app.request('/v1/tables/pg_user')).status, 404);
    assert.equal((await app.request('/v1/tables/weather_daily__load_x')).status, 404);
  });

  it('gives the best odds of each match across bookmakers and the payout rate of backing each outcome at its best', async () => {
    const { matches } = await get('/v1/odds/matches?limit=1000');
    const keys = new Set(ODDS.map((o) => `${o.home}|${o.away}`));
    assert.equal(matches.length, keys.size);
    const m = matches[0];
    const quotes = ODDS.filter((o) => o.home === m.home && o.away === m.away);
    const best = (field: 'odds_1' | 'odds_x' | 'odds_2') => Math.max(...quotes.map((q) => Number(q[field])));
    assert.deepEqual(
      [m.best['1'].odds, m.best.X.odds, m.best['2'].odds],
      [best('odds_1'), best('odds_x'), best('odds_2')],
    );
    assert.equal(m.best['1'].bookmakers, quotes.length);
    assert.equal(
      m.payoutRate,
      Math.round(10_000 / (1 / best('odds_1') + 1 / best('odds_x') + 1 / best('odds_2'))) / 10_000,
    );
    const team = await get(`/v1/odds/matches?team=${encodeURIComponent(m.away)}`);
    assert.ok(team.matches.every((x: Json) => x.home === m.away || x.away === m.away) && team.matches.length >= 1);
  });

  it('gives the latest price of a coin and its candles', async () => {
    const last = CRYPTO.filter((t) => t.symbol === 'BTCUSDT')
      .sort((a, b) => a.ts.localeCompare(b.ts))
      .at(-1)!;
    const latest = await get('/v1/crypto/BTCUSDT/latest');
    assert.deepEqual(latest, {
      symbol: 'BTCUSDT',
      price: last.price,
      minute: `${last.ts.slice(0, 16)}:00.000Z`,
      at: last.ts,
    });
    assert.deepEqual(
      (await get('/v1/crypto')).coins.map((c: Json) => c.symbol),
      ['BTCUSDT', 'ETHUSDT'],
    );
    const { candles } = await get('/v1/crypto/ETHUSDT/candles?limit=60');
    assert.equal(candles.length, 30); // 120 ticks, 15 s apart
    const firstMinute = CRYPTO.filter((t) => t.symbol === 'ETHUSDT')
      .slice(0, 4)
      .map((t) => t.price);
    assert.deepEqual(
      [candles[0].open, candles[0].high, candles[0].low, candles[0].close, candles[0].ticks],
      [firstMinute[0], Math.max(...firstMinute), Math.min(...firstMinute), firstMinute[3], 4],
    );
    assert.equal((await app.request('/v1/crypto/NOPE/latest')).status, 404);
    // An unknown coin is unknown for its candles too, not an empty list.
    const noCandles = await app.request('/v1/crypto/NOPE/candles');
    assert.equal(noCandles.status, 404);
    assert.match(((await noCandles.json()) as Json).error.message, /no prices for NOPE; GET \/v1\/crypto lists/);
    assert.equal((await app.request('/v1/crypto/btc;drop/latest')).status, 400);
  });

  it('names the valid kinds when asked for runs of an unknown one', async () => {
    const res = await app.request('/v1/runs?kind=nosuch');
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as Json).error.message, /kind.*collect.*job:silver.*replay/s);
  });

  it('pages through the run log newest first, filtered by kind', async () => {
    const { rows } = await env.rt.pool.query<{ n: number }>(
      "select count(*)::int as n from strata_catalog.runs where kind = 'job:silver'",
    );
    const seen: Json[] = [];
    let before: string | null = null;
    do {
      const page: Json = await get(
        `/v1/runs?kind=job:silver&limit=4${before ? `&before=${encodeURIComponent(before)}` : ''}`,
      );
      seen.push(...page.runs);
      before = page.nextBefore;
    } while (before);
    assert.equal(seen.length, rows[0]!.n);
    assert.equal(new Set(seen.map((r) => r.runId)).size, seen.length);
    assert.ok(seen.every((r) => r.kind === 'job:silver' && r.status === 'succeeded'));
    assert.deepEqual(
      seen.map((r) => r.startedAt),
      [...seen.map((r) => r.startedAt)].sort().reverse(),
    );
  });

  it('reports quality, streams and the lake as the catalog and Redis hold them', async () => {
    const quality = await get('/v1/quality');
    const weather = quality.tables.find((t: Json) => t.table === 'silver.weather_observations');
    assert.equal(weather.lastRun.status, 'succeeded');
    assert.equal(weather.lastRun.rowsOut, WEATHER.length);
    assert.equal(weather.quarantinedTotal, 0);

    const { streams } = await get('/v1/streams');
    const stream = streams.find((s: Json) => s.source === 'weather');
    assert.equal(stream.length, await env.rt.redis().xlen(streamKey(env.config.redisPrefix, 'weather')));
    assert.equal(stream.backlog, 0);
    assert.equal(stream.lagSeconds, 0);

    const lake = await get('/v1/lake?layer=silver');
    const observations = lake.tables.find((t: Json) => t.name === 'weather_observations');
    const snapshot = (await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'weather_observations' }))!;
    assert.equal(observations.rows, WEATHER.length);
    assert.equal(observations.files, snapshot.files.length);
    assert.equal(observations.partitions, 4); // one per day
    const day = await get('/v1/lake/silver/weather_observations?partition=observed_date=2026-11-20');
    assert.equal(
      day.files.reduce((n: number, f: Json) => n + f.rows, 0),
      WEATHER.filter((w) => w.observed_at.startsWith('2026-11-20')).length,
    );
    assert.equal((await app.request('/v1/lake/silver/nope')).status, 404);
    assert.equal((await app.request('/v1/lake/silver/weather_observations?partition=oops')).status, 400);
  });

  it('exposes Prometheus metrics: requests by route pattern, stream backlog and last runs', async () => {
    await get('/v1/tables/weather_daily?limit=1');
    const text = await (await app.request('/metrics')).text();
    assert.match(text, /strata_http_requests_total\{method="GET",route="\/v1\/tables\/:name",status="200"\} \d+/);
    assert.match(text, /strata_stream_backlog\{source="weather"\} 0/);
    assert.match(text, /strata_run_last_success\{kind="job:gold",target="gold.weather_daily"\} 1/);
    assert.match(text, /strata_scrape_errors 0/);
  });

  it('limits each client to its requests a minute with 429 and Retry-After', async () => {
    const limited = createApp({ pool: env.rt.pool, settings: { rateLimitPerMinute: 3 } });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.request('/v1/tables')).status);
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const refused = await limited.request('/v1/tables');
    // 3 a minute refill one request every 20 s: the wait is at most that (less if time passed since the bucket emptied).
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 20, `Retry-After ${retryAfter}`);
    assert.equal(((await refused.json()) as Json).error.code, 'rate_limited');
    // Every route counts: health, metrics, docs and the dashboard are not free to serve either.
    for (const path of ['/healthz', '/metrics', '/docs', '/']) assert.equal((await limited.request(path)).status, 429);
  });

  it('allows browser calls only from the configured origins', async () => {
    const open = createApp({ pool: env.rt.pool, settings: { corsOrigins: ['https://dash.example'] } });
    const preflight = await open.request('/v1/tables', {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://dash.example');
    const other = await open.request('/v1/tables', { headers: { origin: 'https://evil.example' } });
    assert.equal(other.headers.get('access-control-allow-origin'), null);
    assert.equal(
      (await app.request('/v1/tables', { headers: { origin: 'https://dash.example' } })).headers.get(
        'access-control-allow-origin',
      ),
      null,
    );
  });

  it('keeps admin actions behind API keys and bounded bodies, and runs a job in its own process', async () => {
    const post = (
      target: ReturnType<typeof createApp>,
      path: string,
      body: string,
      headers: Record<string, string> = {},
    ) => target.request(path, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    assert.equal((await post(app, '/v1/admin/jobs', '{"layer":"silver"}')).status, 403);
    const actions = adminActions(env.config, env.rt.pool);
    opened.push(actions);
    const admin = createApp({
      pool: env.rt.pool,
      redis: env.rt.redis(),
      settings: { keys: [KEY], maxBodyBytes: 1024 },
      admin: actions,
    });
    assert.equal((await post(admin, '/v1/admin/jobs', '{"layer":"silver"}')).status, 401);
    assert.equal(
      (await post(admin, '/v1/admin/jobs', '{"layer":"silver"}', { authorization: `Bearer ${'x'.repeat(32)}` })).status,
      401,
    );
    const auth = { authorization: `Bearer ${KEY}` };
    assert.equal(
      (await post(admin, '/v1/admin/jobs', JSON.stringify({ layer: 'silver', select: 'x'.repeat(2000) }), auth)).status,
      413,
    );
    assert.equal((await post(admin, '/v1/admin/jobs', '{"layer":"bronze"}', auth)).status, 400);
    assert.equal((await post(admin, '/v1/admin/jobs', '{"layer":"silver","select":"a;rm -rf /"}', auth)).status, 400);

    const started = await post(
      admin,
      '/v1/admin/jobs',
      '{"layer":"gold","select":"weather_daily","fullRefresh":true}',
      auth,
    );
    assert.equal(started.status, 202);
    const { pid, command } = (await started.json()) as Json;
    assert.equal(command, 'pnpm job:gold --select weather_daily --full-refresh');
    await waitForExit(pid);
    const { runs } = await get('/v1/runs?kind=job:gold&target=gold.weather_daily&limit=1');
    assert.equal(runs[0].status, 'succeeded');
    assert.equal(runs[0].details.scope, 'all');
  });

  it('replays dead letters from the lake and from Redis: those that parse now reach the stream and are marked replayed, none is erased', async () => {
    const actions = adminActions(env.config, env.rt.pool);
    opened.push(actions);
    const admin = createApp({ pool: env.rt.pool, settings: { keys: [KEY] }, admin: actions });
    const good = {
      ...WEATHER[0],
      station_id: 'NEW1',
      observed_at: '2026-11-22T06:00:00Z',
      updated_at: '2026-11-22T06:00:00Z',
    };
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    // One letter already committed to the lake by bronze, one still in Redis.
    await publisher.deadLetter('weather', 'test', [{ reason: 'parser was broken', raw: JSON.stringify(good) }]);
    assert.equal((await drainSource(env.rt, 'weather', { kinds: ['dead-letters'] })).deadLettersWritten, 1);
    await publisher.deadLetter('weather', 'test', [{ reason: 'missing field station_id', raw: '{"city":"Paris"}' }]);
    const redis = env.rt.redis();
    const streamBefore = await redis.xlen(streamKey(env.config.redisPrefix, 'weather'));
    const replay = () =>
      admin.request('/v1/admin/dead-letters/weather/replay', {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}` },
      });
    const response = await replay();
    assert.equal(response.status, 200);
    const result = (await response.json()) as Json;
    assert.deepEqual(
      [result.examined, result.replayed, result.duplicates, result.stillFailing, result.skipped],
      [2, 1, 0, 1, 0],
    );
    assert.equal(await redis.xlen(streamKey(env.config.redisPrefix, 'weather')), streamBefore + 1);
    assert.equal(
      await redis.xlen(deadLetterKey(env.config.redisPrefix, 'weather')),
      0,
      'every letter is in the lake now',
    );
    const letters = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'bronze', name: 'weather__dead_letters' });
      return duck.all(
        'select reason, replay_run_id, replayed_at is not null as replayed from bronze.weather__dead_letters order by reason',
      );
    });
    assert.deepEqual(letters, [
      { reason: 'missing field station_id', replay_run_id: null, replayed: false },
      { reason: 'parser was broken', replay_run_id: result.runId, replayed: true },
    ]);
    const again = (await (await replay()).json()) as Json;
    assert.deepEqual(
      [again.examined, again.replayed, again.stillFailing],
      [1, 0, 1],
      'a replayed letter is not replayed twice',
    );
    assert.equal(
      (
        await admin.request('/v1/admin/dead-letters/nope/replay', {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}` },
        })
      ).status,
      404,
    );
  });

  it('announces each gold load on /v1/events', async () => {
    const live = new LiveFeed(env.config.databaseUrl);
    await live.start();
    try {
      const liveApp = createApp({ pool: env.rt.pool, live });
      const response = await liveApp.request('/v1/events?tables=weather_daily');
      assert.equal(response.headers.get('content-type'), 'text/event-stream');
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      let received = '';
      const until = async (pattern: RegExp) => {
        while (!pattern.test(received)) received += (await reader.read()).value ?? '';
      };
      await until(/event: ready/);
      const gold = await runJob(env.rt, { layer: 'gold', select: ['weather_daily'], fullRefresh: true });
      await loadGold(env.rt, gold);
      await until(/event: gold-loaded\ndata: .*\n/);
      const snapshotId = (await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'weather_daily' }))!.snapshotId;
      assert.match(
        received,
        new RegExp(`event: gold-loaded\\ndata: \\{"table":"weather_daily","snapshotId":${snapshotId}\\}`),
      );
      await reader.cancel();
    } finally {
      await live.stop();
    }
  });
});

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job process ${pid} still running after 60 s`);
}
