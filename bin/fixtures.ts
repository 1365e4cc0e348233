// `pnpm fixtures:serve`: the weather fixture API in the foreground, for trying collectors by hand.
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { startCryptoFixtureServer } from '../ingest/sources/crypto/fixtures/server.ts';
import { createLegacyTable, writeListingDumps } from '../ingest/sources/listings/fixtures/generator.ts';
import { startListingsApi } from '../ingest/sources/listings/fixtures/server.ts';
import { startOddsFixtureServer } from '../ingest/sources/odds/fixtures/server.ts';
import { startWikiFixtureServer } from '../ingest/sources/weapons/fixtures/wiki.ts';
import { FIXTURE_PATH, startWeatherFixtureServer } from '../ingest/sources/weather/fixtures/server.ts';

const { values } = parseCommand({
  usage: 'pnpm fixtures:serve [--source weather|odds|crypto|weapons|listings|all] [--days <n>] [--host <address>] [--port <n>]',
  summary:
    `Serves a source's fixture on the port its default URL names: weather (${FIXTURE_PATH}, paged JSON, STRATA_FIXTURES_PORT 8788),\n` +
    'odds (an odds site, /football/<league>, 8789), crypto (a ticker API, /api/v3/ticker, 8790), weapons (a wiki, /wiki/Weapons,\n' +
    '8791), listings (an API, /api/listings, 8792; it also drops dumps into STRATA_LISTINGS_INBOX and creates LISTINGS_TABLE).',
  options: {
    source: { type: 'string', valueName: 'name', description: 'Which fixture to serve', default: 'weather' },
    port: { type: 'string', valueName: 'n', description: 'Port (default: STRATA_FIXTURES_PORT for weather, 8789 for odds)' },
    days: { type: 'string', valueName: 'n', description: 'Days of hourly observations to generate', default: '7' },
    host: { type: 'string', valueName: 'address', description: 'Address to listen on (0.0.0.0 inside a container)', default: '127.0.0.1' },
  },
});

runMain(async () => {
  const names = values.source === 'all' ? ['weather', 'odds', 'crypto', 'weapons', 'listings'] : [values.source];
  const servers: { url: string; close(): Promise<void> }[] = [];
  // --port applies to a single fixture; with `all`, each listens on its default port.
  const portFor = (fallback: number) => Number(names.length === 1 && values.port !== undefined ? values.port : fallback);
  for (const name of names) servers.push(await serveFixture(name, portFor));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  for (const server of servers) await server.close();
});

async function serveFixture(name: string, portFor: (fallback: number) => number): Promise<{ url: string; close(): Promise<void> }> {
  let server: { url: string; close(): Promise<void> };
  if (name === 'weather') {
    const weather = await startWeatherFixtureServer(portFor(config().fixturesPort), values.host, { days: Number(values.days) });
    console.log(`weather fixture API: ${weather.url}${FIXTURE_PATH} (${weather.recordCount} records). Ctrl-C to stop.`);
    server = weather;
  } else if (name === 'odds') {
    server = await startOddsFixtureServer(portFor(8789), values.host);
    console.log(`odds fixture site: ${server.url}/football/ligue-1 (also premier-league, rendered by JavaScript, and la-liga). Ctrl-C to stop.`);
  } else if (name === 'crypto') {
    server = await startCryptoFixtureServer(portFor(8790), values.host);
    console.log(`crypto ticker API: ${server.url}/api/v3/ticker (prices change every second). Ctrl-C to stop.`);
  } else if (name === 'weapons') {
    server = await startWikiFixtureServer(portFor(8791), values.host);
    console.log(`weapons wiki: ${server.url}/wiki/Weapons. Ctrl-C to stop.`);
  } else if (name === 'listings') {
    const { listings } = config();
    const dumps = writeListingDumps(listings.inbox);
    const rows = await createLegacyTable(listings.databaseUrl);
    server = await startListingsApi(portFor(8792), values.host);
    console.log(`listings API: ${server.url}/api/listings; ${dumps.csvRows + dumps.jsonRows} records dropped in ${listings.inbox}; ${rows} rows in ${listings.table}. Ctrl-C to stop.`);
  } else {
    throw new TerminalError(`No fixture for source "${name}"; use weather, odds, crypto, weapons, listings or all`);
  }
  return server;
}
