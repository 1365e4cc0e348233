// `pnpm new:table <layer>.<name> --from <table>`: a table folder (definition, SQL, table test) that runs as generated.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';

const { values, positionals } = parseCommand({
  usage: 'pnpm new:table <layer>.<name> --from <layer>.<table>',
  summary:
    'Writes <layer>/tables/<name>/: a definition reading one input, SQL passing its rows through, and a table test fed\n' +
    'by the sample of the source the input comes from (ingest/sources/<source>/fixtures/sample.ts). It runs as generated\n' +
    '(`pnpm test:tables --select <name>`); then shape the SQL, and change the definition and the test to match.',
  options: {
    from: {
      type: 'string',
      valueName: 'table',
      description: 'The table it reads: bronze.<source>, silver.<name> or gold.<name>',
    },
  },
  details:
    'Examples:\n  pnpm new:table silver.shop_order_events --from bronze.shop_orders\n  pnpm new:table gold.shop_totals --from silver.shop_orders',
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { scaffoldTable } = await import('../pipeline/scaffold/scaffold-table.ts');

runMain(async () => {
  const table = positionals[0];
  if (!table || !values.from)
    throw new TerminalError('Name the table and its input: pnpm new:table <layer>.<name> --from <table>');
  const files = await scaffoldTable(table, values.from);
  console.log(`wrote ${files.length} files:\n${files.map((f) => `  ${f}`).join('\n')}`);
  console.log(`\nnext:\n  pnpm test:tables --select ${table.split('.')[1]}`);
  return 0;
});
