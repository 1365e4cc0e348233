// The dashboard end to end: the API and dashboard served over HTTP on every pipeline's fixture data, each page opened
// in headless Chromium (Debian's package, driven by playwright-core). Every page must draw its charts from the data
// (marks counted against PostgreSQL), log no console error, and leave a screenshot in <data dir>/screenshots/. The
// crypto page must redraw on its own when a new gold load lands (server-sent events).
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
  async function open(id: string): Promise<{ page: Page; charts: Record<string, number>; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('pageerror', (e) => errors.push(e.message));
    page.on(
      'requestfailed',
      (r) => !r.url().includes('/v1/events') && errors.push(`${r.url()}: ${r.failure()?.errorText}`),
    );
    await page.goto(`${base}${PAGES.find((p) => p.id === id)!.path}`);
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

  it('pipeline health: backlog per stream, runs, streams and gold tables', async () => {
    const { page, charts, errors } = await open('health');
    assert.deepEqual(errors, []);
    assert.equal(charts['Backlog per stream'], 5); // one bar per source stream
    assert.equal(await page.locator('section:has(h2:text("Gold tables served")) tbody tr').count(), 8);
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
    assert.equal(await page.locator('.legend li').count(), 3);
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

  it('weapons: the top five of each type and the rarity counts', async () => {
    const { page, charts, errors } = await open('weapons');
    assert.deepEqual(errors, []);
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

  it("lake: bytes per layer, and a table's partitions one click away", async () => {
    const { page, charts, errors } = await open('lake');
    assert.equal(charts['Bytes per layer'], 3);
    await page.click('section:has(h2:text("Tables")) a:text-is("weather_observations")');
    await page.waitForSelector('section:has(h2:text("Partitions and files")) h3:text("silver.weather_observations")');
    assert.equal(await page.locator('section:has(h2:text("Partitions and files")) tbody tr').count(), 4);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(screenshots, 'lake-partitions.png'), fullPage: true });
    await page.close();
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
      () => document.querySelector('section:has(h2) svg[data-points="31"]') !== null,
      undefined,
      { timeout: 20_000 },
    );
    assert.match((await page.textContent('section:first-of-type .price')) ?? '', /^91,000 at 09:30 UTC$/);
    assert.deepEqual(errors, []);
    await page.screenshot({ path: path.join(screenshots, 'crypto-live.png'), fullPage: true });
    await page.close();
  });
});

/** Each chart's drawn marks (its svg's data-points), keyed by the title of its card. */
function chartMarks(page: Page): Promise<Record<string, number>> {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll('section.card')]
        .filter((s) => s.querySelector('svg.chart'))
        .map((s) => [
          s.querySelector('h2')!.textContent!,
          Number(s.querySelector('svg.chart')!.getAttribute('data-points')),
        ]),
    ),
  );
}
