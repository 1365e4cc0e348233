// `pnpm infra:up | infra:down | infra:status`: local Redis, PostgreSQL, S3 server (and the API) without Docker.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { SERVICE_NAMES, servicesDown, servicesStatus, servicesUp, type ServiceName, type ServiceStatus } from '../infra/local/index.ts';

const BACKING: ServiceName[] = ['redis', 'postgres', 's3'];

const { values, positionals } = parseCommand({
  usage: 'pnpm infra:up | pnpm infra:down | pnpm infra:status [--only <names>]',
  summary:
    'Starts, stops or reports the local services on loopback: Redis, PostgreSQL and an S3-compatible server (s3rver),\n' +
    'with their data under STRATA_DATA_DIR (default .strata/). A healthy service already on a configured port is reused;\n' +
    'infra:down stops only what Strata started (it also stops the API that `pnpm demo` leaves running).',
  options: {
    only: { type: 'string', valueName: 'names', description: `Comma-separated subset of: ${SERVICE_NAMES.join(', ')}` },
  },
  allowPositionals: true,
  details: 'Missing binaries (redis-server, PostgreSQL) are installed with apt-get when running as root; otherwise the command prints what to run.',
});

runMain(async () => {
  const action = positionals[0];
  const cfg = config();
  const only = values.only?.split(',').map((s) => s.trim()) as ServiceName[] | undefined;
  const unknown = only?.filter((n) => !SERVICE_NAMES.includes(n));
  if (unknown?.length) throw new TerminalError(`Unknown service ${unknown.join(', ')}; choose from ${SERVICE_NAMES.join(', ')}`);
  const print = (statuses: ServiceStatus[]) =>
    console.log(formatTable(['service', 'address', 'state', 'pid'], statuses.map((s) => [s.name, s.address, s.state, s.pid ?? '-'])));
  if (action === 'up') {
    print(await servicesUp(cfg, only ?? BACKING, (s) => console.log(`  ${s.name}: ${s.state} on ${s.address}`)));
    console.log(`\ndata folder: ${cfg.dataDir}`);
  } else if (action === 'down') {
    print(await servicesDown(cfg, only ?? [...SERVICE_NAMES]));
  } else if (action === 'status') {
    print(await servicesStatus(cfg, only ?? [...SERVICE_NAMES]));
  } else {
    throw new TerminalError(`Unknown action "${action ?? ''}"; use up, down or status (see --help).`);
  }
});
