// `pnpm fixtures:serve`: the weather fixture API in the foreground, for trying collectors by hand.
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { FIXTURE_PATH, startWeatherFixtureServer } from '../ingest/sources/weather/fixtures/server.ts';

const { values } = parseCommand({
  usage: 'pnpm fixtures:serve [--days <n>]',
  summary: `Serves deterministic hourly weather observations for 12 cities at http://127.0.0.1:<STRATA_FIXTURES_PORT>${FIXTURE_PATH} (paged JSON).`,
  options: {
    days: { type: 'string', valueName: 'n', description: 'Days of hourly observations to generate', default: '7' },
    host: { type: 'string', valueName: 'address', description: 'Address to listen on (0.0.0.0 inside a container)', default: '127.0.0.1' },
  },
});

runMain(async () => {
  const server = await startWeatherFixtureServer(config().fixturesPort, values.host, { days: Number(values.days) });
  console.log(`weather fixture API: ${server.url}${FIXTURE_PATH} (${server.recordCount} records). Ctrl-C to stop.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
});
