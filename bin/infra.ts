// `pnpm infra:up | infra:down | infra:status`: local Redis, PostgreSQL, S3 server (and the API) without Docker.
import { existsSync, lstatSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import { SERVICE_NAMES, type ServiceName, type ServiceStatus } from '../infra/local/service.ts';

const BACKING: ServiceName[] = ['redis', 'postgres', 's3'];

const { values, positionals } = parseCommand({
  usage: 'pnpm infra:up | pnpm infra:down | pnpm infra:status [--only <names>]',
  summary:
    'Starts, stops or reports the local services on loopback: Redis, PostgreSQL and an S3-compatible server (s3rver),\n' +
    "with their data under STRATA_DATA_DIR (default .strata/); also the API and the example sources' fixtures, in the\n" +
    'background (`--only api,fixtures`). A healthy service already on a configured port is reused. infra:down stops\n' +
    'only what Strata started: the services, the API `pnpm demo` leaves running, a `pnpm serve` or `pnpm fixtures:serve`\n' +
    'run by hand.',
  options: {
    only: { type: 'string', valueName: 'names', description: `Comma-separated subset of: ${SERVICE_NAMES.join(', ')}` },
  },
  allowPositionals: true,
  details:
    'Missing binaries (redis-server, PostgreSQL) are installed with apt-get when running as root; otherwise the command prints what to run.\n' +
    'As root, PostgreSQL runs as the postgres user; if it cannot enter the data folder, its cluster lives in /var/lib/strata/<folder>-<hash>/,\n' +
    'linked from <data dir>/postgres (docs/local-mode.md).',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { servicesDown, servicesStatus, servicesUp } = await import('../infra/local/index.ts');

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');

runMain(async () => {
  const action = positionals[0];
  const cfg = config();
  const only = values.only?.split(',').map((s) => s.trim()) as ServiceName[] | undefined;
  const unknown = only?.filter((n) => !SERVICE_NAMES.includes(n));
  if (unknown?.length)
    throw new TerminalError(`Unknown service ${unknown.join(', ')}; choose from ${SERVICE_NAMES.join(', ')}`);
  const print = (statuses: ServiceStatus[]) =>
    console.log(
      formatTable(
        ['service', 'address', 'state', 'pid'],
        statuses.map((s) => [s.name, s.address, s.state, s.pid ?? '-']),
      ),
    );
  if (action === 'up') {
    print(await servicesUp(cfg, only ?? BACKING, (s) => console.log(`  ${s.name}: ${s.state} on ${s.address}`)));
    console.log(`\ndata folder: ${cfg.dataDir}`);
    const cluster = path.join(cfg.dataDir, 'postgres');
    if (existsSync(cluster) && lstatSync(cluster).isSymbolicLink())
      console.log(`PostgreSQL cluster: ${realpathSync(cluster)} (linked from ${cluster})`);
  } else if (action === 'down') {
    print(await servicesDown(cfg, only ?? [...SERVICE_NAMES]));
  } else if (action === 'status') {
    print(await servicesStatus(cfg, only ?? [...SERVICE_NAMES]));
  } else {
    throw new TerminalError(`Unknown action "${action ?? ''}"; use up, down or status (see --help).`);
  }
});
