// The API on real PostgreSQL, Redis and lake storage: its OpenAPI document passes Redocly's linter, /docs renders
// it, /readyz checks the backing services, /v1/tables reports row counts and freshness.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { runJob } from '../core/jobs/job-runner.ts';
import { loadGold } from '../gold/gold-job.ts';
import { createApp } from '../serving/app.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

describe('the API', { timeout: 120_000 }, () => {
  let env: Isolated;
  let app: ReturnType<typeof createApp>;
  before(async () => {
    env = await isolatedRuntime();
    const reading = (city: string, hour: number, temperature: number) => {
      const observedAt = `2026-11-20T${String(hour).padStart(2, '0')}:00:00Z`;
      return { key: `${city}|${observedAt}`, observedAt, payload: { station_id: city.slice(0, 3), city, country: 'FR', observed_at: observedAt, temperature_c: temperature, humidity_pct: 50, wind_kph: 3, precipitation_mm: 0, updated_at: observedAt } };
    };
    await loadBronze(env.rt, 'weather', [reading('Paris', 8, 7), reading('Paris', 9, 9), reading('Lyon', 8, 5)]);
    await loadGold(env.rt, await runJob(env.rt, { layer: 'silver', select: ['weather_observations+'] }));
    app = createApp({ pool: env.rt.pool, redis: env.rt.redis(), store: env.rt.store });
  });
  after(async () => env?.cleanup());

  it('publishes an OpenAPI 3.1 document that Redocly\'s recommended rules pass with no problem', async () => {
    const response = await app.request('/openapi.json');
    assert.equal(response.status, 200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.equal(document.openapi, '3.1.0');
    assert.deepEqual(Object.keys(document.paths).sort(), ['/healthz', '/readyz', '/v1/tables', '/v1/tables/{name}']);
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: 'openapi.json', config: await createConfig({ extends: ['recommended'] }) });
    assert.deepEqual(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`), []);
  });

  it('renders the document at /docs without scripts', async () => {
    const response = await app.request('/docs');
    assert.equal(response.status, 200);
    const page = await response.text();
    assert.match(page, /<code>\/v1\/tables\/\{name\}<\/code> — Rows of a gold table/);
    assert.doesNotMatch(page, /<script/);
  });

  it('is ready when PostgreSQL, Redis and the storage answer', async () => {
    const response = await app.request('/readyz');
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ready', checks: { postgres: { ok: true }, redis: { ok: true }, storage: { ok: true } } });
  });

  it('lists the gold tables with exact row counts, the snapshot served and when it was loaded', async () => {
    const body = (await (await app.request('/v1/tables')).json()) as { tables: { name: string; rows: number; snapshotId: number; loadedAt: string; columns: { name: string; description: string }[] }[] };
    const daily = body.tables.find((t) => t.name === 'weather_daily')!;
    assert.equal(daily.rows, 2);
    assert.equal(daily.snapshotId, (await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'weather_daily' }))!.snapshotId);
    assert.ok(Date.now() - Date.parse(daily.loadedAt) < 10 * 60_000, daily.loadedAt);
    assert.equal(daily.columns.find((c) => c.name === 'temperature_max_c')!.description, 'Highest hourly temperature of the day in °C');
  });

  it('refuses a URL past 8 KiB with 414 before touching the database', async () => {
    const response = await app.request(`/v1/tables/weather_daily?city=${'x'.repeat(9000)}`);
    assert.equal(response.status, 414);
    assert.equal(((await response.json()) as { error: { code: string } }).error.code, 'uri_too_long');
  });

  it('answers a bad query parameter in the error shape', async () => {
    const response = await app.request('/v1/tables/weather_daily?limit=0');
    assert.equal(response.status, 400);
    assert.deepEqual(Object.keys(((await response.json()) as { error: object }).error), ['code', 'message']);
  });
});
