// `pnpm job:silver` and `pnpm job:gold`: run declared tables in dependency order, incrementally by default.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import type { JobOptions } from '../jobs/job-runner.ts';

const { values, positionals } = parseCommand({
  usage:
    'pnpm job:silver | pnpm job:gold [--select <tables>] [--full-refresh] [--from <day> --to <day>] [--dry-run] [--wait]',
  summary:
    'Runs the silver or gold tables declared in <layer>/tables/<name>/ (a <name>.table.ts and a <name>.sql) in dependency order.\n' +
    'Incremental by default: each table reads only the input files no earlier run processed (recorded in the catalog with its\n' +
    'commit), and a table with nothing new is "up to date". Rows breaking a quarantine rule go to <name>__quarantine.\n' +
    'Gold tables are then loaded into PostgreSQL (schema "gold") atomically. Exit code 1 if any table fails.',
  options: {
    select: {
      type: 'string',
      valueName: 'tables',
      description:
        'Comma-separated: name (that table), name+ (and downstream), +name (upstream, then it); may reach the other layer',
    },
    'full-refresh': {
      type: 'boolean',
      description: 'Rebuild the selected tables from all their input, not only new files',
    },
    from: {
      type: 'string',
      valueName: 'YYYY-MM-DD',
      description: 'Backfill: rebuild the partitions from this day (partitioned tables; others run incrementally)',
    },
    to: { type: 'string', valueName: 'YYYY-MM-DD', description: 'Backfill: …to this day, inclusive (default: --from)' },
    'dry-run': { type: 'boolean', description: 'Print what each table would read and rewrite; read and write nothing' },
    wait: { type: 'boolean', description: 'If another job run is in progress, wait for it instead of exiting' },
  },
  details:
    'Examples:\n  pnpm job:silver\n  pnpm job:gold --select +shop_totals        # silver.shop_orders, then gold.shop_totals\n' +
    '  pnpm job:silver --select shop_orders+ --from 2026-11-20 --to 2026-11-20\n  pnpm job:silver --full-refresh --dry-run',
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { parseRange, planJob } = await import('../jobs/job-runner.ts');
const { withRuntime } = await import('../lake/runtime.ts');
const { runBatch } = await import('../pipeline/run-batch.ts');
const { jobSummary, loadSummary, planSummary } = await import('../pipeline/summary.ts');

runMain(async () => {
  const layer = positionals[0];
  if (layer !== 'silver' && layer !== 'gold') throw new TerminalError('Run `pnpm job:silver` or `pnpm job:gold`');
  const options: JobOptions = {
    layer,
    select: values.select
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    fullRefresh: values['full-refresh'],
    range: parseRange(values.from, values.to),
    wait: values.wait,
    onTableStart: (t, plan) =>
      console.log(`→ ${t}: ${plan.action === 'up to date' ? `up to date (${plan.reason})` : plan.reason}`),
    onProgress: (t, message) => console.log(`  ${t}: ${message}`),
  };
  if (options.fullRefresh && options.range)
    throw new TerminalError('Choose --full-refresh (everything) or --from/--to (some days), not both');
  return withRuntime(config(), async (rt) => {
    if (values['dry-run']) {
      console.log(planSummary(await planJob(rt, options)));
      return 0;
    }
    const started = Date.now();
    const { tables, loads, ok } = await runBatch(rt, { ...options, layers: [layer] });
    console.log(`\n${jobSummary(tables)}`);
    if (loads.length) console.log(`\nLoaded into PostgreSQL:\n${loadSummary(loads)}`);
    for (const l of loads) if (l.error) console.error(`${l.target}: ${l.error}`);
    console.log(`\nDone in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return ok ? 0 : 1;
  });
});
