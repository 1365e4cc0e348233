// The dashboard end to end: the API and dashboard served over HTTP on every pipeline's fixture data, each page opened
// in headless Chromium (Debian's package, driven by playwright-core). Every page must draw its charts from the data
// (marks counted against PostgreSQL), log no console error (a content-security-policy violation is one), and leave a
// screenshot in <data dir>/screenshots/ (docs/img/ holds two of them). The crypto page must redraw on its own when a
// new gold load lands (server-sent events); every gold table has a page drawn from its columns.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runJob } from '../jobs/job-runner.ts';
import { loadGold } from '../gold/gold-job.ts';
import { createApp } from '../serving/app.ts';
import { PAGES } from '../serving/dashboard/dashboard-routes.ts';
import { LiveFeed } from '../serving/live-feed.ts';
import { deadLetterKey } from '../streams/keys.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { loadPipelineFixture, ODDS, WEAPONS } from './support/pipeline-fixture.ts';

describe('the dashboard in headless Chromium', { timeout: 300_000 }, () => {
  let env: Isolated;
  let server: ServerType;
  let live: LiveFeed;
  let browser: Browser;
  let base: string;
  const screenshots = path.join(path.resolve(process.env.STRATA_DATA_DIR ?? '.strata'), 'screenshots');

  before(async () => {
    env = await isolatedRuntime();
    await loadPipelineFixture(env.rt);
    live = new LiveFeed(env.config.databaseUrl);
    await live.start();
    const app = createApp({
      pool: env.rt.pool,
      redis: env.rt.redis(),
      store: env.rt.store,
      redisPrefix: env.config.redisPrefix,
      live,
    });
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: env.config.chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    mkdirSync(screenshots, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await live?.stop();
    (server as unknown as { closeAllConnections?(): void })?.closeAllConnections?.();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await env?.cleanup();
  });

  /** Opens a page, waits for it to finish drawing, and returns the marks of each chart by card title. */
  async function open(
    id: string,
    at = PAGES.find((p) => p.id === id)!.path,
  ): Promise<{ page: Page; charts: Record<string, number>; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on(
      'requestfailed',
      (r) => !r.url().includes('/v1/events') && errors.push(`${r.url()}: ${r.failure()?.errorText}`),
    );
    await page.goto(`${base}${at}`);
    // A script error fails the test at once rather than after the wait.
    await Promise.race([
      page.waitForSelector('main[data-ready]', { timeout: 30_000 }),
      new Promise((_, reject) => page.once('pageerror', reject)),
    ]);
    const ready = await page.getAttribute('main', 'data-ready');
    if (ready !== 'true') assert.fail(`${id} did not render: ${await page.locator('.error').allTextContents()}`);
    const charts = await chartMarks(page);
    await page.screenshot({ path: path.join(screenshots, `${id}.png`), fullPage: true });
    return { page, charts, errors };
  }

  const pgCount = async (sql: string) => Number((await env.rt.pool.query<{ n: string }>(sql)).rows[0]!.n);

  const apiGet = async <T>(path: string) => (await (await fetch(`${base}${path}`)).json()) as T;

  it('pipeline health: what needs attention first, then backlog, quarantine, tables, runs, streams', async () => {
    const streams = await apiGet<{ streams: { source: string; backlog: number }[] }>('/v1/streams');
    const quality = await apiGet<{
      tables: { table: string; status: string; quarantinedTotal: number }[];
      deadLetters: Record<string, number>;
    }>('/v1/quality');
    const { page, charts, errors } = await open('health');
    assert.deepEqual(errors, []);
    // The first card says what is wrong: here, the quarantined rows and dead letters of the fixture.
    assert.match((await page.textContent('section.card:first-of-type h2')) ?? '', /^Needs attention/);
    const items = await page.locator('section.card:first-of-type .attention li').allTextContents();
    const quarantined = quality.tables.filter((t) => t.quarantinedTotal > 0);
    const failed = quality.tables.filter((t) => t.status === 'failed');
    const lettered = Object.values(quality.deadLetters).filter((n) => n > 0);
    const backlogged = streams.streams.filter((s) => s.backlog > 0);
    assert.equal(items.length, quarantined.length + failed.length + lettered.length + backlogged.length);
    for (const t of quarantined)
      assert.ok(
        items.some((i) =>
          i.startsWith(
            `${t.table}: ${t.quarantinedTotal.toLocaleString('en')} ${t.quarantinedTotal === 1 ? 'row' : 'rows'} quarantined`,
          ),
        ),
        t.table,
      );
    // One bar per source stream, or, with nothing waiting, a sentence rather than an empty axis.
    assert.equal(streams.streams.length, 5);
    if (backlogged.length) assert.equal(charts['Backlog per stream'], 5);
    else
      assert.equal(
        await page.textContent('section:has(h2:text("Backlog per stream")) .empty'),
        'No backlog: all 5 streams are written to the lake.',
      );
    assert.equal(charts['Quarantined rows per table'] ?? 0, quarantined.length);
    assert.equal(await page.locator('section:has(h2:text("Gold tables served")) tbody tr').count(), 9);
    assert.equal(await page.locator('section:has(h2:text("Last runs")) tbody tr').count(), 15);
    await page.close();
  });

  it('weather: one mark per city and day', async () => {
    const { page, charts, errors } = await open('weather');
    assert.deepEqual(errors, []);
    assert.equal(
      charts['Mean temperature per city (°C)'],
      await pgCount('select count(*) as n from gold.weather_daily'),
    );
    // One line per city, each in its own colour, with the cities in the legend.
    const cities = (await env.rt.pool.query<{ city: string }>('select distinct city from gold.weather_daily')).rows;
    const series = (await page.getAttribute('section:has(h2:text("Mean temperature")) .chart', 'data-series'))!;
    assert.deepEqual(series.split('|').sort(), cities.map((c) => c.city).sort());
    await page.close();
  });

  it('real estate: a bar per city of the latest month', async () => {
    const { page, charts, errors } = await open('listings');
    assert.deepEqual(errors, []);
    assert.equal(
      charts['Median asking price per m² by city (latest month, p10–p90)'],
      await pgCount(
        'select count(*) as n from gold.listings_price_m2 where month = (select max(month) from gold.listings_price_m2)',
      ),
    );
    await page.close();
  });

  it('football odds: payout rate per bookmaker, best prices per bookmaker, best odds per match', async () => {
    const { page, charts, errors } = await open('odds');
    assert.deepEqual(errors, []);
    assert.equal(charts['Mean payout rate per bookmaker (%)'], new Set(ODDS.map((o) => o.bookmaker)).size);
    assert.equal(
      charts['Best prices offered, per bookmaker'],
      await pgCount('select count(distinct best_bookmaker) as n from gold.odds_best_prices'),
    );
    assert.equal(
      await page.locator('section:has(h2:text("Best odds per match")) tbody tr').count(),
      new Set(ODDS.map((o) => `${o.home}|${o.away}`)).size,
    );
    await page.close();
  });

  it('weapons: the top five of each type, the rarity counts, and why a type is missing', async () => {
    // The wiki fixture's Hammer page is broken on purpose; its dead letter is what the page explains.
    await env.rt
      .redis()
      .xadd(deadLetterKey(env.config.redisPrefix, 'weapons'), '*', 'reason', 'Hammer: no records found', 'raw', '{}');
    const { page, charts, errors } = await open('weapons');
    assert.deepEqual(errors, []);
    assert.equal((await apiGet<{ deadLetters: Record<string, number> }>('/v1/quality')).deadLetters.weapons, 1);
    assert.match(
      (await page.textContent('section:has(h2:text("Missing weapon types")) .empty')) ?? '',
      /^1 page\(s\) or row\(s\) of the wiki could not be read .* it changes the Hammer page's layout/,
    );
    const types = [...new Set(WEAPONS.map((w) => w.weapon_type))];
    for (const type of types) {
      const n = await pgCount(
        `select count(*) as n from gold.weapon_rankings where weapon_type = '${type}' and attack_rank <= 5`,
      );
      if (n > 0) assert.equal(charts[`${type}: top ${n} by attack`], n, type);
    }
    assert.equal(
      charts['Weapons per rarity'],
      await pgCount('select count(distinct rarity) as n from gold.weapon_rarity_counts'),
    );
    await page.close();
  });

  it("lake: bytes per layer, rows per table, a table's snapshots and partitions, the choice in the URL", async () => {
    const { page, charts, errors } = await open('lake');
    assert.equal(charts['Bytes per layer'], 3);
    // The panel is filled on arrival (the largest silver table), and the choice is in the URL.
    const largest = (
      await env.rt.pool.query<{ name: string }>(
        `select t.name from strata_catalog.tables t join strata_catalog.files f on f.table_id = t.table_id and f.removed_snapshot_id is null
          where t.layer = 'silver' group by t.name order by sum(f.row_count) desc, t.name limit 1`,
      )
    ).rows[0]!.name;
    assert.equal(new URL(page.url()).searchParams.get('table'), `silver.${largest}`);
    await page.click('section:has(h2:text("Tables")) a:text-is("weather_observations")');
    await page.waitForSelector('section:has(h2:text("Partitions and files")) h3:text("silver.weather_observations")');
    assert.equal(await page.locator('section:has(h2:text("Partitions and files")) tbody tr').count(), 4);
    assert.equal(new URL(page.url()).searchParams.get('table'), 'silver.weather_observations');
    // The rows at each snapshot: one mark per snapshot of the table.
    const snapshots = await pgCount(
      `select count(*) as n from strata_catalog.snapshots s join strata_catalog.tables t using (table_id)
        where t.layer = 'silver' and t.name = 'weather_observations'`,
    );
    assert.equal(
      Number(
        await page.getAttribute(
          'section:has(h2:text("Snapshots of silver.weather_observations")) .chart',
          'data-points',
        ),
      ),
      snapshots,
    );
    // A reload shows the same table: the selection came from the URL.
    await page.reload();
    await page.waitForSelector('section:has(h2:text("Partitions and files")) h3:text("silver.weather_observations")');
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(screenshots, 'lake-partitions.png'), fullPage: true });
    await page.close();
  });

  it('gold tables: rows per table, and a page for each drawn from its column types', async () => {
    const { tables } = await apiGet<{ tables: { name: string; rows: number }[] }>('/v1/tables');
    const { page, charts, errors } = await open('tables');
    assert.deepEqual(errors, []);
    assert.equal(charts['Rows per gold table'], tables.length);
    assert.equal(tables.length, 9);
    await page.close();
    for (const t of tables) {
      const opened = await open(`table-${t.name}`, `/tables/${t.name}`);
      assert.deepEqual(opened.errors, [], t.name);
      assert.equal(
        await opened.page.locator('section:has(h2:text-matches("^First [0-9]+ rows")) tbody tr').count(),
        Math.min(50, t.rows),
        t.name,
      );
      assert.equal(Object.keys(opened.charts).length, t.rows > 0 ? 1 : 0, t.name);
      await opened.page.close();
    }
    // weather_daily has a date: one line per city over it, one mark per row.
    const weather = await open('table-weather_daily', '/tables/weather_daily');
    assert.deepEqual(Object.values(weather.charts), [await pgCount('select count(*) as n from gold.weather_daily')]);
    await weather.page.close();
    const missing = await open('table-nosuch', '/tables/nosuch');
    assert.match((await missing.page.textContent('.empty')) ?? '', /^No gold table named nosuch\. Served: /);
    await missing.page.close();
  });

  it('crypto: candles per coin, redrawn live when a new gold load lands', async () => {
    const { page, charts, errors } = await open('crypto');
    assert.equal(charts.BTCUSDT, 30);
    assert.equal(charts.ETHUSDT, 30);
    await page.waitForSelector('.live[data-live="connected"]');
    // A tick in a new minute, through bronze, silver, gold and the load: the page must show a 31st candle by itself.
    const ts = '2026-11-21T09:30:10.000Z';
    await loadBronze(env.rt, 'crypto', [
      { key: `BTCUSDT|${ts}`, observedAt: ts, payload: { symbol: 'BTCUSDT', ts, price: 91_000, volume_24h: 1 } },
    ]);
    await runJob(env.rt, { layer: 'silver', select: ['crypto_ticks'] });
    await loadGold(env.rt, await runJob(env.rt, { layer: 'gold', select: ['crypto_ohlc_minute'] }));
    await page.waitForFunction(
      () => document.querySelector('section:has(h2) .chart[data-points="31"]') !== null,
      undefined,
      { timeout: 20_000 },
    );
    assert.match((await page.textContent('section:first-of-type .price')) ?? '', /^91,000 at 09:30 UTC$/);
    assert.match((await page.textContent('.live')) ?? '', /^Live: updated \d\d:\d\d:\d\d UTC$/);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(screenshots, 'crypto-live.png'), fullPage: true });
    await page.close();
  });

  it("health: a run's log lines in its detail, kept in the URL", async () => {
    await env.rt.logs.flush();
    const { runs } = await apiGet<{ runs: { runId: string }[] }>('/v1/runs?limit=15');
    const { page, errors } = await open('health');
    const first = runs[0]!.runId;
    const { lines } = await apiGet<{ lines: { message: string }[] }>(`/v1/logs?run=${first}&level=debug&limit=1000`);
    assert.ok(lines.length > 0, `the run ${first} has log lines`);
    await page.locator('section:has(h2:text("Last runs")) tbody tr').first().locator('a').click();
    const detail = page.locator('section:has(h2:text("Run detail"))');
    await detail.locator('tbody tr').first().waitFor();
    assert.deepEqual(
      await detail.locator('tbody tr td:nth-child(4)').allTextContents(),
      lines.map((l) => l.message).reverse(),
    );
    assert.equal(new URL(page.url()).searchParams.get('run'), first);
    await page.reload();
    await page.waitForSelector('main[data-ready="true"]');
    assert.equal(await detail.locator('tbody tr').count(), lines.length, 'the selection survives a reload');
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('asks for a key when reads need one, and reads with it for the rest of the session', async () => {
    const key = 'dashboard-reader-0123456789abcdef';
    const guarded = createApp({
      pool: env.rt.pool,
      settings: { keys: [`${key}@read:*+read:operations`], read: 'key' },
      live,
    });
    const other = serve({ fetch: guarded.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => other.once('listening', resolve));
    const page = await browser.newPage();
    try {
      await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/tables`);
      await page.waitForSelector('#api-key');
      assert.match((await page.textContent('#api-key label')) ?? '', /STRATA_API_READ=key/);
      await page.fill('#api-key input', key);
      await Promise.all([page.waitForEvent('load'), page.click('#api-key button')]);
      await page.waitForSelector('main[data-ready="true"]', { timeout: 30_000 });
      assert.equal(await page.locator('#api-key').count(), 0);
      const gold = await pgCount("select count(*) as n from information_schema.tables where table_schema = 'gold'");
      assert.ok(gold > 0);
      assert.equal(await page.locator('main table tbody tr').count(), gold);
      // Live updates follow the event stream with the key too.
      await page.goto(`http://127.0.0.1:${(other.address() as AddressInfo).port}/crypto`);
      await page.waitForSelector('.live[data-live="connected"]', { timeout: 30_000 });
      assert.equal(await page.locator('#api-key').count(), 0);
    } finally {
      await page.close();
      (other as unknown as { closeAllConnections?(): void }).closeAllConnections?.();
      await new Promise((resolve) => other.close(resolve));
    }
  });
});

/** Each chart's drawn marks (its data-points), keyed by the title of its card. */
function chartMarks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('section.card')]
        .filter((s) => s.querySelector('.chart'))
        .map((s) => [
          s.querySelector('h2')!.textContent!,
          Number(s.querySelector('.chart')!.getAttribute('data-points')),
        ]),
    ),
  );
}
