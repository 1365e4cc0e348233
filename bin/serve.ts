// `pnpm serve`: the Hono API on @hono/node-server, reading gold tables from PostgreSQL.
import { serve } from '@hono/node-server';
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { createPool } from '../core/postgres.ts';
import { openStore } from '../core/storage/index.ts';
import { Redis } from 'ioredis';
import { createApp } from '../serving/app.ts';

parseCommand({
  usage: 'pnpm serve',
  summary:
    'Serves the REST API on STRATA_API_HOST:STRATA_API_PORT: GET /v1/tables, /v1/tables/:name, /healthz, /readyz, and its\n' +
    'OpenAPI 3.1 document at /openapi.json, readable at /docs.',
  options: {},
  details: 'Example: curl "http://127.0.0.1:8787/v1/tables/weather_daily?city=Paris&date[gte]=2026-11-03"',
});

runMain(async () => {
  const cfg = config();
  const pool = createPool(cfg.databaseUrl, 10);
  const redis = new Redis(cfg.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // /readyz reports Redis; the API keeps serving without it
  const server = serve({ fetch: createApp({ pool, redis, store: openStore(cfg) }).fetch, hostname: cfg.api.host, port: cfg.api.port });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  console.log(`Strata API listening on http://${cfg.api.host}:${cfg.api.port}`);
  await new Promise<void>((resolve) => {
    const stop = () => server.close(() => resolve());
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  await pool.end();
  redis.disconnect();
});
