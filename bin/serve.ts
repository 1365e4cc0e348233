// `pnpm serve`: the Hono API and the dashboard (serving/server.ts) in the foreground, until SIGTERM/SIGINT.
import { rmSync } from 'node:fs';
import { parseCommand, runMain } from '../core/cli.ts';

parseCommand({
  usage: 'pnpm serve',
  summary:
    'Serves the dashboard at / and the REST API on STRATA_API_HOST:STRATA_API_PORT: gold tables (/v1/tables, filters, cursor\n' +
    "paging, csv/ndjson exports), each pipeline's own endpoints, runs, quality, streams, the lake browser, live events,\n" +
    '/metrics, /healthz and /readyz. The OpenAPI 3.1 document is at /openapi.json, readable at /docs.',
  options: {},
  details:
    'Examples:\n  curl "http://127.0.0.1:8787/v1/tables/shop_totals?country=FR&date[gte]=2026-11-03&order=-date"\n' +
    '  curl "http://127.0.0.1:8787/v1/tables/shop_totals?format=csv" > shop_totals.csv\n' +
    '  curl -X POST -H "Authorization: Bearer $KEY" -H "Content-Type: application/json" -d \'{"layer":"silver"}\' http://127.0.0.1:8787/v1/admin/jobs\n\n' +
    'Settings (docs/configuration.md): STRATA_API_KEYS (keys and their scopes), STRATA_API_READ (open, or key: reads need\n' +
    'a key), STRATA_API_RATE_LIMIT, STRATA_API_CORS_ORIGINS,\n' +
    'STRATA_API_TRUST_PROXY, STRATA_API_MAX_BODY_BYTES.',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { livePid, writePidFile } = await import('../infra/local/process.ts');
const { pidFileOf } = await import('../infra/local/service.ts');
const { startServer } = await import('../serving/server.ts');

runMain(async () => {
  const cfg = config();
  const server = await startServer(cfg);
  // Whoever started this server (by hand, or `pnpm demo` in the background), `pnpm infra:down` stops it; unless
  // another API of this data folder, on another port, holds the pid file (a benchmark's, say): that one stays.
  const pidFile = pidFileOf(cfg, 'api');
  if (livePid(pidFile) === undefined) writePidFile(pidFile, process.pid);
  console.log(`Strata dashboard and API on http://${server.address} (API docs at /docs)`);
  if (!cfg.api.keys.length) console.log('Admin actions are off: set STRATA_API_KEYS to enable POST /v1/admin/*.');
  console.log(
    cfg.api.read === 'key'
      ? "Reads need a key with the route's scope (STRATA_API_READ=key; docs/api.md)."
      : 'Reads are open to anyone who can reach the API (STRATA_API_READ=open; set it to key to need a key).',
  );
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.stop();
  if (livePid(pidFile) === process.pid) rmSync(pidFile, { force: true });
});
