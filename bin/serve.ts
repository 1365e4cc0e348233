// `pnpm serve`: the Hono API on @hono/node-server, reading gold tables from PostgreSQL.
import { serve } from '@hono/node-server';
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { createPool } from '../core/postgres.ts';
import { createApp } from '../serving/app.ts';

parseCommand({
  usage: 'pnpm serve',
  summary: 'Serves the REST API (GET /v1/tables, GET /v1/tables/:name, GET /healthz) on STRATA_API_HOST:STRATA_API_PORT.',
  options: {},
  details: 'Example: curl "http://127.0.0.1:8787/v1/tables/weather_daily?city=Paris&date[gte]=2026-11-03"',
});

runMain(async () => {
  const cfg = config();
  const pool = createPool(cfg.databaseUrl, 10);
  const server = serve({ fetch: createApp({ pool }).fetch, hostname: cfg.api.host, port: cfg.api.port });
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
});
