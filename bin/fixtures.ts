// `pnpm fixtures:serve`: the weather fixture API in the foreground, for trying collectors by hand.
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { startOddsFixtureServer } from '../ingest/sources/odds/fixtures/server.ts';
import { FIXTURE_PATH, startWeatherFixtureServer } from '../ingest/sources/weather/fixtures/server.ts';

const { values } = parseCommand({
  usage: 'pnpm fixtures:serve [--source weather|odds] [--days <n>] [--host <address>] [--port <n>]',
  summary:
    `Serves a source's fixture: weather, deterministic hourly observations for 12 cities at ${FIXTURE_PATH} (paged JSON, on\n` +
    'STRATA_FIXTURES_PORT); odds, an odds-comparison site at /football/<league> (on 8789, the default ODDS_SITE_URL).',
  options: {
    source: { type: 'string', valueName: 'name', description: 'Which fixture to serve', default: 'weather' },
    port: { type: 'string', valueName: 'n', description: 'Port (default: STRATA_FIXTURES_PORT for weather, 8789 for odds)' },
    days: { type: 'string', valueName: 'n', description: 'Days of hourly observations to generate', default: '7' },
    host: { type: 'string', valueName: 'address', description: 'Address to listen on (0.0.0.0 inside a container)', default: '127.0.0.1' },
  },
});

runMain(async () => {
  let server: { url: string; close(): Promise<void> };
  if (values.source === 'weather') {
    const weather = await startWeatherFixtureServer(Number(values.port ?? config().fixturesPort), values.host, { days: Number(values.days) });
    console.log(`weather fixture API: ${weather.url}${FIXTURE_PATH} (${weather.recordCount} records). Ctrl-C to stop.`);
    server = weather;
  } else if (values.source === 'odds') {
    server = await startOddsFixtureServer(Number(values.port ?? 8789), values.host);
    console.log(`odds fixture site: ${server.url}/football/ligue-1 (also premier-league, rendered by JavaScript, and la-liga). Ctrl-C to stop.`);
  } else {
    throw new TerminalError(`No fixture for source "${values.source}"; use weather or odds`);
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
});
