// `pnpm bench`: every `pnpm bench:*` one after another (each in its own process, with --json), then one table of
// stage, figure, baseline, ratio and goal, and with --json one JSON object with all of them and the machine.
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { formatTable, parseCommand, runMain } from '../../core/cli.ts';
import { PROJECT_ROOT } from '../../core/config.ts';
import { TerminalError } from '../../core/errors.ts';
import { scriptArgs } from '../../core/modules.ts';

// biome-ignore lint/suspicious/noExplicitAny: a benchmark's JSON, read field by field
type Json = Record<string, any>;

export interface StageRow {
  stage: string;
  figure: string;
  baseline: string;
  ratio: number | null;
  goal: string;
  /** Undefined where the stage has no goal (a measurement only). */
  met?: boolean;
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(1);

/** Each benchmark: its arguments for a quick run, and how its JSON line becomes table rows. */
const BENCHES: Record<string, { quick: string[]; rows: (r: Json) => StageRow[] }> = {
  ingest: {
    quick: ['--events', '20000', '--rounds', '1'],
    rows: (r) => [
      {
        stage: 'ingest: collector → stream, with dedup',
        figure: `${n(r.dedupEventsPerSec)} events/s`,
        baseline: `${n(r.plainEventsPerSec)} events/s (plain XADD)`,
        ratio: r.ratio,
        goal: `ratio ≥ ${r.goalRatio}`,
        met: r.goalMet,
      },
    ],
  },
  files: {
    quick: ['--rows', '20000', '--rounds', '1'],
    rows: (r) =>
      (r.formats as Json[]).map((f) => ({
        stage: `files: ${f.format} file → stream, with dedup`,
        figure: `${n(f.rowsPerSec)} rows/s, ${n(f.peakMiB)} MiB peak`,
        baseline: `${n(f.plainRowsPerSec)} rows/s (plain XADD)`,
        ratio: f.ratio,
        goal: `ratio ≥ ${r.goalRatio}`,
        met: f.ratio >= r.goalRatio,
      })),
  },
  bronze: {
    quick: ['--events', '20000', '--rounds', '1'],
    rows: (r) => [
      {
        stage: 'bronze: stream → committed Parquet',
        figure: `${n(r.writerEventsPerSec)} events/s`,
        baseline: `${n(r.readAckEventsPerSec)} events/s (read + acknowledge only)`,
        ratio: r.readAckRatio,
        goal: `≥ ${n(r.goalEventsPerSec)} events/s, ratio ≥ ${r.goalReadAckRatio}`,
        met: r.goalMet,
      },
      {
        stage: 'bronze: against DuckDB alone',
        figure: `${n(r.writerEventsPerSec)} events/s`,
        baseline: `${n(r.duckdbEventsPerSec)} events/s (DuckDB NDJSON → Parquet)`,
        ratio: r.ratio,
        goal: '-',
      },
    ],
  },
  writers: {
    quick: ['--events', '20000', '--rounds', '1', '--writers', '1,2'],
    rows: (r) =>
      (r.results as Json[])
        .filter((x) => x.writers !== 1)
        .map((x) => ({
          stage: `bronze: ${x.writers} writers on one stream`,
          figure: `${n(x.eventsPerSec)} events/s`,
          baseline: `${n((r.results as Json[])[0]!.eventsPerSec)} events/s (1 writer)`,
          ratio: x.ratio,
          goal: `measured on ${r.cores} cores`,
        })),
  },
  cli: {
    quick: ['--rounds', '1'],
    rows: (r) =>
      (r.results as Json[])
        .filter((x) => x.command.startsWith('pnpm '))
        .map((x) => {
          const goal = x.command.includes('--help') ? 0.5 : 1.5;
          return {
            stage: `start: ${x.command}`,
            figure: `${x.seconds.toFixed(2)} s`,
            baseline: `${r.baselineSeconds.toFixed(2)} s (node -e '')`,
            ratio: x.ratio,
            goal: `≤ ${goal} s`,
            met: x.seconds <= goal,
          };
        }),
  },
  jobs: {
    quick: ['--rows', '100000', '--rounds', '1'],
    rows: (r) => [
      {
        stage: `jobs: silver + gold over ${n(r.rows)} rows`,
        figure: `${r.runnerSeconds.toFixed(1)} s, ${gib(r.runnerPeakRssBytes)} GiB peak`,
        baseline: `${r.duckdbSeconds.toFixed(1)} s, ${gib(r.duckdbPeakRssBytes)} GiB (bare DuckDB)`,
        ratio: r.ratio,
        goal: `ratio ≤ ${r.goalRatio}, ≤ ${gib(r.goalPeakBytes)} GiB`,
        met: r.goalMet,
      },
    ],
  },
  api: {
    quick: ['--cities', '5', '--days', '60', '--seconds', '1', '--rounds', '1', '--connections', '4'],
    rows: (r) => [
      {
        stage: 'api: GET /v1/tables/gold.weather_daily',
        figure: `${n(r.strataRps)} req/s`,
        baseline: `${n(r.bareRps)} req/s (node:http + pg)`,
        ratio: r.rpsRatio,
        goal: 'ratio ≥ 0.8',
        met: r.rpsRatio >= 0.8,
      },
      {
        stage: 'api: p99 latency',
        figure: `${r.strataP99Ms} ms`,
        baseline: `${r.bareP99Ms} ms`,
        ratio: r.p99Ratio,
        goal: 'ratio ≤ 1.5',
        met: r.p99Ratio === null ? undefined : r.p99Ratio <= 1.5,
      },
    ],
  },
  freshness: {
    quick: ['--rate', '100', '--seconds', '4', '--warmup', '6'],
    rows: (r) => [
      {
        stage: 'freshness: collection → API, p95',
        figure: `${r.apiP95Seconds} s`,
        baseline: `${r.bronzeP95Seconds} s (→ committed bronze)`,
        ratio: r.ratioApiToBronzeP95,
        goal: `p95 ≤ ${r.goalP95Seconds} s`,
        met: r.goalMet,
      },
    ],
  },
};

const { values } = parseCommand({
  usage: 'pnpm bench [--only <list>] [--quick] [--json]',
  summary:
    `Runs every benchmark (${Object.keys(BENCHES)
      .map((b) => `bench:${b}`)
      .join(', ')}), each in its own process with its\n` +
    'own baseline measured in the same run, and prints one table: stage, figure, baseline, ratio, goal. Their own output\n' +
    'goes to stderr as they run. A full run takes several minutes; --quick runs each on small inputs (a smoke test).',
  options: {
    only: {
      type: 'string',
      valueName: 'list',
      description: `Comma-separated subset of ${Object.keys(BENCHES).join(', ')}`,
    },
    quick: {
      type: 'boolean',
      description: 'Small inputs and short runs: checks the benchmarks work, figures are not meaningful',
    },
    json: { type: 'boolean', description: 'Also print one JSON object as the last line' },
  },
});

/** Runs one benchmark with --json, relaying its output to stderr; returns its last line's JSON object. */
function runBench(name: string, args: string[]): Promise<Json> {
  const child = spawn(
    process.execPath,
    [...scriptArgs(path.join('bin/bench', `bench-${name}.ts`)), ...args, '--json'],
    {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d;
    process.stderr.write(d);
  });
  child.stderr.on('data', (d: Buffer) => process.stderr.write(d));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0) return reject(new Error(`bench:${name} exited with ${code}`));
      try {
        resolve(JSON.parse(last) as Json);
      } catch {
        reject(new Error(`bench:${name} did not end with a JSON line: ${last.slice(0, 200)}`));
      }
    });
  });
}

runMain(async () => {
  const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(BENCHES);
  const unknown = names.filter((b) => !BENCHES[b]);
  if (unknown.length)
    throw new TerminalError(`Unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
  const started = Date.now();
  const results: Record<string, Json> = {};
  const rows: StageRow[] = [];
  const failed: string[] = [];
  for (const [i, name] of names.entries()) {
    process.stderr.write(`\n== [${i + 1}/${names.length}] bench:${name}${values.quick ? ' (quick)' : ''} ==\n`);
    try {
      results[name] = await runBench(name, values.quick ? BENCHES[name]!.quick : []);
      rows.push(...BENCHES[name]!.rows(results[name]!));
    } catch (error) {
      failed.push(`${name}: ${(error as Error).message}`);
    }
  }
  const machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
  console.log(
    formatTable(
      ['stage', 'figure', 'baseline', 'ratio', 'goal', 'met'],
      rows.map((r) => [
        r.stage,
        r.figure,
        r.baseline,
        r.ratio ?? '—',
        r.goal,
        r.met === undefined ? '—' : r.met ? 'yes' : 'no',
      ]),
    ),
  );
  console.log(
    `${machine.cores} × ${machine.cpu}, ${machine.memoryGiB} GiB, ${machine.os}, Node ${machine.node}; ${((Date.now() - started) / 1000).toFixed(0)} s${values.quick ? ' (quick: figures not meaningful)' : ''}`,
  );
  for (const f of failed) console.error(`failed: ${f}`);
  if (values.json)
    console.log(JSON.stringify({ bench: 'all', quick: !!values.quick, machine, stages: rows, results, failed }));
  return failed.length ? 1 : 0;
});
