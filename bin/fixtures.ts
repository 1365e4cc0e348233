// `pnpm fixtures:serve`: sources' fixtures in the foreground, for trying collectors by hand.
import { rmSync } from 'node:fs';
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import type { ServedFixture } from '../ingest/fixture.ts';

const { values } = parseCommand({
  usage: 'pnpm fixtures:serve [--source <name>|all] [--days <n>] [--host <address>] [--port <n>]',
  summary:
    'Serves the fixture of each source that has one (ingest/sources/<name>/fixtures/fixture.ts) on the host and port of\n' +
    'its STRATA_SOURCE_<NAME>_URL setting (`pnpm sources --settings` lists them and their defaults). Runs in the\n' +
    'foreground; `pnpm infra:up --only fixtures` runs all of them in the background, `pnpm infra:down` stops either.',
  options: {
    source: { type: 'string', valueName: 'name', description: 'Which fixture to serve, or all', default: 'all' },
    port: { type: 'string', valueName: 'n', description: 'Port, for a single fixture (default: the port of its URL)' },
    days: {
      type: 'string',
      valueName: 'n',
      description: 'Days of history to generate, where a fixture has one',
      default: '7',
    },
    host: {
      type: 'string',
      valueName: 'address',
      description: "Address to listen on (default: the host of the source's URL; 0.0.0.0 inside a container)",
    },
  },
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config, envOf } = await import('../core/config.ts');
const { fixtureAddresses, sourceFixture } = await import('../ingest/sources/index.ts');
const { livePid, writePidFile } = await import('../infra/local/process.ts');
const { pidFileOf } = await import('../infra/local/service.ts');

runMain(async () => {
  const cfg = config();
  const addresses = fixtureAddresses(envOf(cfg));
  const known = addresses.map((a) => a.source);
  const chosen = values.source === 'all' ? addresses : addresses.filter((a) => a.source === values.source);
  if (!chosen.length)
    throw new TerminalError(`No fixture for source "${values.source}"; use ${known.join(', ')} or all`);
  const pidFile = pidFileOf(cfg, 'fixtures');
  const running = livePid(pidFile);
  if (running !== undefined && running !== process.pid)
    throw new TerminalError(
      `Fixtures are already served by pid ${running}; stop them with \`pnpm infra:down --only fixtures\`.`,
    );
  const servers: ServedFixture[] = [];
  const closeAll = async () => {
    for (const server of servers.splice(0)) await server.close();
  };
  try {
    for (const { source, url } of chosen) {
      const port = chosen.length === 1 && values.port !== undefined ? Number(values.port) : Number(url.port || 80);
      const fixture = (await sourceFixture(source))!;
      const served = await fixture.serve({
        host: values.host ?? url.hostname,
        port,
        config: cfg,
        days: Number(values.days),
      });
      console.log(`${served.summary}. Ctrl-C to stop.`);
      servers.push(served);
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
