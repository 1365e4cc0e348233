// `pnpm fixtures:serve`: the example sources' fixtures in the foreground, for trying collectors by hand.
import { rmSync } from 'node:fs';
import { parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { livePid, writePidFile } from '../infra/local/process.ts';
import { pidFileOf } from '../infra/local/service.ts';
import { startCryptoFixtureServer } from '../ingest/sources/crypto/fixtures/server.ts';
import { createLegacyTable, writeListingDumps } from '../ingest/sources/listings/fixtures/generator.ts';
import { startListingsApi } from '../ingest/sources/listings/fixtures/server.ts';
import { startOddsFixtureServer } from '../ingest/sources/odds/fixtures/server.ts';
import { startWikiFixtureServer } from '../ingest/sources/weapons/fixtures/wiki.ts';
import { FIXTURE_PATH, startWeatherFixtureServer } from '../ingest/sources/weather/fixtures/server.ts';

const FIXTURES = ['weather', 'odds', 'crypto', 'weapons', 'listings'];

const { values } = parseCommand({
  usage:
    'pnpm fixtures:serve [--source weather|odds|crypto|weapons|listings|all] [--days <n>] [--host <address>] [--port <n>]',
  summary:
    "Serves source fixtures on the host and port of each source's URL setting (defaults in parentheses): weather\n" +
    `(${FIXTURE_PATH}, paged JSON; WEATHER_API_URL, 8788), odds (an odds site, /football/<league>; ODDS_SITE_URL, 8789), crypto\n` +
    '(a ticker API, /api/v3/ticker; CRYPTO_API_URL, 8790), weapons (a wiki, /wiki/Weapons; WEAPONS_WIKI_URL, 8791), listings (an\n' +
    'API, /api/listings; LISTINGS_API_URL, 8792; it also drops dumps into STRATA_LISTINGS_INBOX and creates LISTINGS_TABLE).\n' +
    'Runs in the foreground; `pnpm infra:up --only fixtures` runs all of them in the background, `pnpm infra:down` stops either.',
  options: {
    source: { type: 'string', valueName: 'name', description: 'Which fixture to serve', default: 'weather' },
    port: {
      type: 'string',
      valueName: 'n',
      description: "Port, for a single fixture (default: the port of the source's URL)",
    },
    days: { type: 'string', valueName: 'n', description: 'Days of hourly observations to generate', default: '7' },
    host: {
      type: 'string',
      valueName: 'address',
      description: "Address to listen on (default: the host of the source's URL; 0.0.0.0 inside a container)",
    },
  },
});

runMain(async () => {
  const cfg = config();
  const names = values.source === 'all' ? FIXTURES : [values.source];
  const unknown = names.filter((n) => !FIXTURES.includes(n));
  if (unknown.length)
    throw new TerminalError(`No fixture for source "${unknown.join(', ')}"; use ${FIXTURES.join(', ')} or all`);
  const pidFile = pidFileOf(cfg, 'fixtures');
  const running = livePid(pidFile);
  if (running !== undefined && running !== process.pid) {
    throw new TerminalError(
      `Fixtures are already served by pid ${running}; stop them with \`pnpm infra:down --only fixtures\`.`,
    );
  }
  const servers: { url: string; close(): Promise<void> }[] = [];
  const closeAll = async () => {
    for (const server of servers.splice(0)) await server.close();
  };
  try {
    for (const name of names) {
      const url = new URL(cfg.sourceUrls[name]!);
      const port = names.length === 1 && values.port !== undefined ? Number(values.port) : Number(url.port || 80);
      servers.push(await serveFixture(name, values.host ?? url.hostname, port));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  // `pnpm infra:down` stops whatever Strata started, fixtures served by hand included.
  writePidFile(pidFile, process.pid);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  if (livePid(pidFile) === process.pid) rmSync(pidFile, { force: true });
  await closeAll();
});

async function serveFixture(
  name: string,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  if (name === 'weather') {
    const weather = await startWeatherFixtureServer(port, host, { days: Number(values.days) });
    console.log(`weather fixture API: ${weather.url}${FIXTURE_PATH} (${weather.recordCount} records). Ctrl-C to stop.`);
    return weather;
  }
  if (name === 'odds') {
    const server = await startOddsFixtureServer(port, host);
    console.log(
      `odds fixture site: ${server.url}/football/ligue-1 (also premier-league, rendered by JavaScript, and la-liga). Ctrl-C to stop.`,
    );
    return server;
  }
  if (name === 'crypto') {
    const server = await startCryptoFixtureServer(port, host);
    console.log(`crypto ticker API: ${server.url}/api/v3/ticker (prices change every second). Ctrl-C to stop.`);
    return server;
  }
  if (name === 'weapons') {
    const server = await startWikiFixtureServer(port, host);
    console.log(`weapons wiki: ${server.url}/wiki/Weapons. Ctrl-C to stop.`);
    return server;
  }
  const { listings } = config();
  const dumps = writeListingDumps(listings.inbox);
  const rows = await createLegacyTable(listings.databaseUrl);
  const server = await startListingsApi(port, host);
  console.log(
    `listings API: ${server.url}/api/listings; ${dumps.csvRows + dumps.jsonRows} records dropped in ${listings.inbox}; ${rows} rows in ${listings.table}. Ctrl-C to stop.`,
  );
  return server;
}
