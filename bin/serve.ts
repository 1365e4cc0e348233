// `pnpm serve`: the Hono API and the dashboard on @hono/node-server, reading gold tables from PostgreSQL.
import { rmSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { Redis } from 'ioredis';
import { parseCommand, runMain } from '../core/cli.ts';
import { config, type Config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { isPortOpen, livePid, writePidFile } from '../infra/local/process.ts';
import { pidFileOf } from '../infra/local/service.ts';
import { createPool } from '../core/postgres.ts';
import { openStore } from '../lake/storage/index.ts';
import { adminActions } from '../serving/admin-actions.ts';
import { createApp } from '../serving/app.ts';
import { LiveFeed } from '../serving/live-feed.ts';

parseCommand({
  usage: 'pnpm serve',
  summary:
    'Serves the dashboard at / and the REST API on STRATA_API_HOST:STRATA_API_PORT: gold tables (/v1/tables, filters, cursor\n' +
    'paging, csv/ndjson exports), best odds and coin prices, runs, quality, streams, the lake browser, live events, /metrics,\n' +
    '/healthz and /readyz. The OpenAPI 3.1 document is at /openapi.json, readable at /docs.',
  options: {},
  details:
    'Examples:\n  curl "http://127.0.0.1:8787/v1/tables/weather_daily?city=Paris&date[gte]=2026-11-03&order=-date"\n' +
    '  curl "http://127.0.0.1:8787/v1/tables/weather_daily?format=csv" > weather_daily.csv\n' +
    '  curl -X POST -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d \'{"layer":"silver"}\' http://127.0.0.1:8787/v1/admin/jobs\n\n' +
    'Settings (docs/configuration.md): STRATA_API_KEYS (admin actions), STRATA_API_RATE_LIMIT, STRATA_API_CORS_ORIGINS,\n' +
    'STRATA_API_TRUST_PROXY, STRATA_API_MAX_BODY_BYTES.',
});

runMain(async () => {
  const cfg = config();
  const address = `${cfg.api.host}:${cfg.api.port}`;
  // Checked before anything opens a connection: a second `pnpm serve` says who holds the port and exits.
  if (await isPortOpen(cfg.api.host, cfg.api.port)) throw portTaken(cfg, address);
  const pool = createPool(cfg.databaseUrl, 10);
  const redis = new Redis(cfg.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {}); // /readyz reports Redis; the API keeps serving without it
  const live = new LiveFeed(cfg.databaseUrl);
  const admin = adminActions(cfg, pool);
  const close = async () => {
    await live.stop();
    await admin.close();
    await pool.end();
    redis.disconnect();
  };
  let server: ReturnType<typeof serve>;
  try {
    await live.start();
    const app = createApp({
      pool,
      redis,
      store: openStore(cfg),
      redisPrefix: cfg.redisPrefix,
      settings: cfg.api,
      admin,
      live,
    });
    server = serve({ fetch: app.fetch, hostname: cfg.api.host, port: cfg.api.port });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    await close();
    // Another server took the port between the check and the listen.
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw portTaken(cfg, address);
    throw error;
  }
  // Whoever started this server (by hand, or `pnpm demo` in the background), `pnpm infra:down` stops it; unless
  // another API of this data folder, on another port, holds the pid file (a benchmark's, say): that one stays.
  const pidFile = pidFileOf(cfg, 'api');
  if (livePid(pidFile) === undefined) writePidFile(pidFile, process.pid);
  console.log(`Strata dashboard and API on http://${address} (API docs at /docs)`);
  if (!cfg.api.keys.length) console.log('Admin actions are off: set STRATA_API_KEYS to enable POST /v1/admin/*.');
  await new Promise<void>((resolve) => {
    const stop = () => {
      server.close(() => resolve());
      // Live event streams never end on their own: give answers in flight a second, then close what is left.
      setTimeout(() => (server as unknown as { closeAllConnections(): void }).closeAllConnections(), 1000).unref();
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  if (livePid(pidFile) === process.pid) rmSync(pidFile, { force: true });
  await close();
});

/** The error for a taken port: Strata's own API (and how to stop it) or another program. */
function portTaken(cfg: Config, address: string): TerminalError {
  const pid = livePid(pidFileOf(cfg, 'api'));
  const holder = pid
    ? `Strata's API already runs there (pid ${pid}); stop it with \`pnpm infra:down --only api\``
    : 'another program listens there';
  return new TerminalError(`Cannot serve on ${address}: ${holder}, or set STRATA_API_PORT to a free port.`);
}
