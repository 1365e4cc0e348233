// `pnpm job:silver` and `pnpm job:gold`: run a layer's declared tables in dependency order.
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { TerminalError } from '../core/errors.ts';
import { runLayer } from '../core/jobs/job-runner.ts';
import { withRuntime } from '../core/runtime.ts';
import { runGoldJob } from '../gold/gold-job.ts';
import { jobSummary } from './job-summary.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm job:silver | pnpm job:gold [--select <tables>]',
  summary:
    'Runs the silver or gold tables declared in <layer>/tables/<name>/ (a <name>.table.ts and a <name>.sql) in dependency order.\n' +
    'Each table reads the current snapshot of its inputs and commits a new snapshot; rows breaking a quarantine rule go to\n' +
    '<name>__quarantine. job:gold then loads each gold table into PostgreSQL (schema "gold") atomically. Exit code 1 if any table fails.',
  options: { select: { type: 'string', valueName: 'tables', description: 'Comma-separated table names to run (default: all of the layer)' } },
  allowPositionals: true,
});

runMain(async () => {
  const layer = positionals[0];
  if (layer !== 'silver' && layer !== 'gold') throw new TerminalError('Run `pnpm job:silver` or `pnpm job:gold`');
  const select = values.select?.split(',').map((s) => s.trim()).filter(Boolean);
  const onTableStart = (t: string) => console.log(`→ ${t}`);
  return withRuntime(config(), async (rt) => {
    let ok: boolean;
    if (layer === 'silver') {
      const results = await runLayer(rt, 'silver', { select, onTableStart });
      console.log(jobSummary(results));
      ok = results.every((r) => r.status === 'succeeded');
    } else {
      const { tables, loads } = await runGoldJob(rt, { select, onTableStart });
      console.log(jobSummary(tables));
      if (loads.length) {
        console.log(`\nLoaded into PostgreSQL:\n${formatTable(['table', 'status', 'rows', 'lake snapshot', 'duration'], loads.map((l) => [`gold.${l.table.split('.')[1]}`, l.status, l.rows, l.snapshotId ?? '-', `${l.durationMillis} ms`]))}`);
      }
      for (const l of loads) if (l.error) console.error(`${l.table}: ${l.error}`);
      ok = tables.every((r) => r.status === 'succeeded') && loads.every((l) => l.status === 'succeeded');
    }
    return ok ? 0 : 1;
  });
});
