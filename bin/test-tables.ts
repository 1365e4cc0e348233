// `pnpm test:tables`: the tests declared beside tables (`<layer>/tables/<name>/<name>.test.ts`), or a selection's.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';

const { values } = parseCommand({
  usage: 'pnpm test:tables [--select <tables>]',
  summary:
    "Runs table tests: given source records, a table's expected rows, quarantine and watermark, batch after batch, on\n" +
    'isolated services (docs/jobs.md, "Testing a table"). Starts the local services like `pnpm test`.',
  options: {
    select: {
      type: 'string',
      valueName: 'tables',
      description: 'Comma-separated: name, name+ (and downstream), +name (upstream, then it); default: every table',
    },
  },
  details: 'Examples:\n  pnpm test:tables\n  pnpm test:tables --select shop_orders+',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { PROJECT_ROOT } = await import('../core/config.ts');
const { loadAllTables } = await import('../jobs/registry.ts');
const { selectTables } = await import('../jobs/selection.ts');

runMain(async () => {
  const all = await loadAllTables();
  const chosen = values.select ? selectTables(all, values.select.split(',')) : all;
  const folders = [...new Set(chosen.map((t) => path.dirname(t.sqlPath)))];
  const files = folders.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.test.ts'))
      .map((f) => path.join(dir, f)),
  );
  if (!files.length) {
    const which = values.select ? `the selection ${values.select}` : 'any table';
    throw new TerminalError(
      `No table tests for ${which}; add <name>.test.ts beside a table (pnpm new:table writes one)`,
    );
  }
  console.log(`table tests: ${files.map((f) => path.relative(PROJECT_ROOT, f)).join(', ')}`);
  const test = path.join(PROJECT_ROOT, 'bin', 'test.ts');
  if (!existsSync(test)) throw new TerminalError(`${test} is missing`);
  return (
    spawnSync(process.execPath, ['--import', 'tsx', test, ...files], { stdio: 'inherit', cwd: PROJECT_ROOT }).status ??
    1
  );
});
