// `pnpm bench:cli`: how long commands take to answer, as a user types them (through pnpm), against `node -e ''` measured
// in the same run. Commands start from the compiled copy in dist/ (bin/strata.mjs); the same command compiled on every
// start by tsx is measured beside them.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';

const { values } = parseCommand({
  usage: 'pnpm bench:cli [--rounds <n>] [--json]',
  summary:
    'Times `--help` of the main commands, `pnpm sql -c "select 1"` (against an empty lake of its own) and the same `--help`\n' +
    "run through tsx (compiled on every start), each the median of --rounds runs, and prints each one's seconds and its ratio to `node -e ''`.",
  options: {
    rounds: { type: 'string', valueName: 'n', description: 'Runs per command; the median is reported', default: '5' },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config, envFor, PROJECT_ROOT } = await import('../../core/config.ts');
const { servicesUp } = await import('../../infra/local/index.ts');
const { isolatedRuntime } = await import('../../infra/local/sandbox.ts');
const { median } = await import('./report.ts');

interface Measured {
  command: string;
  seconds: number;
  ratio: number;
}

/** Seconds of one run, which must succeed (a failing command is not a fast one). */
function time(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(file, args, { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} exited with ${r.status}:\n${r.stderr}`);
  return seconds;
}

runMain(async () => {
  const rounds = Number(values.rounds);
  await servicesUp(config(), ['postgres']);
  const lake = await isolatedRuntime('file');
  try {
    const env = { ...process.env, ...envFor(lake.config) };
    const commands: [string, string, string[]][] = [
      ["node -e ''", process.execPath, ['-e', '']],
      ['pnpm sql --help', 'pnpm', ['-s', 'sql', '--help']],
      ['pnpm job:silver --help', 'pnpm', ['-s', 'job:silver', '--help']],
      ['pnpm ingest:run --help', 'pnpm', ['-s', 'ingest:run', '--help']],
      ['pnpm serve --help', 'pnpm', ['-s', 'serve', '--help']],
      ['pnpm demo --help', 'pnpm', ['-s', 'demo', '--help']],
      ['pnpm sql -c "select 1"', 'pnpm', ['-s', 'sql', '-c', 'select 1']],
      ['node --import tsx bin/sql.ts --help', process.execPath, ['--import', 'tsx', 'bin/sql.ts', '--help']],
      ['node --import tsx bin/serve.ts --help', process.execPath, ['--import', 'tsx', 'bin/serve.ts', '--help']],
    ];
    // A first run of each warms the file cache and compiles whatever changed; it is not counted.
    for (const [, file, args] of commands) time(file, args, env);
    const runs = new Map<string, number[]>(commands.map(([label]) => [label, []]));
    for (let round = 1; round <= rounds; round++)
      for (const [label, file, args] of commands) runs.get(label)!.push(time(file, args, env));
    const baseline = median(runs.get(commands[0]![0])!);
    const results: Measured[] = commands.map(([command]) => {
      const seconds = median(runs.get(command)!);
      return { command, seconds: Number(seconds.toFixed(3)), ratio: Number((seconds / baseline).toFixed(2)) };
    });
    console.log(
      formatTable(
        ['command', 'seconds (median)', "ratio to node -e ''"],
        results.map((r) => [r.command, r.seconds.toFixed(3), r.ratio]),
      ),
    );
    console.log(`${rounds} round(s), ${os.cpus().length} CPU cores, load average ${os.loadavg()[0]!.toFixed(2)}`);
    if (values.json)
      console.log(
        JSON.stringify({ bench: 'cli', rounds, cores: os.cpus().length, baselineSeconds: baseline, results }),
      );
  } finally {
    await lake.cleanup();
  }
});
