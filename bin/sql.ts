// `pnpm sql`: DuckDB over the lake, where every table of every layer is a view of its current snapshot.
import readline from 'node:readline/promises';
import path from 'node:path';
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import type { DuckSession as Session } from '../core/duckdb.ts';
import { describeError, TerminalError } from '../core/errors.ts';

const { values } = parseCommand({
  usage: 'pnpm sql [-c "<query>"] [--as-of <time>]',
  summary:
    'Opens DuckDB with a view per lake table (bronze.*, silver.*, gold.*), each over the files of its current snapshot, and the\n' +
    'declared views (the `views` of each table definition). For the official DuckDB CLI, see `pnpm lake:catalog`.\n' +
    'With -c, runs one query and prints the result; without, reads queries (ending with ;) from the prompt.\n' +
    'Sensitive values read as ciphertext; strata_decrypt(column) shows them in clear where the keys are configured\n' +
    "(STRATA_ENCRYPTION_KEYS, or the data folder's key file): docs/security.md.",
  options: {
    command: { type: 'string', short: 'c', valueName: 'query', description: 'Run this query and exit' },
    'as-of': {
      type: 'string',
      valueName: 'time',
      description: 'Read every table as it was at this time (ISO-8601), while retention keeps its files',
    },
  },
  details:
    'Examples:\n  pnpm sql -c "select count(*) from gold.shop_totals"\n  pnpm sql -c "select country, sum(amount) from silver.shop_orders group by all"\n' +
    '  pnpm sql --as-of 2026-11-23T08:00:00Z -c "select count(*) from bronze.shop_orders"   (a time at or after the first snapshot)\n' +
    '  pnpm sql -c "select id, strata_decrypt(email) from silver.shop_customers"',
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { config } = await import('../core/config.ts');
const { DuckSession } = await import('../core/duckdb.ts');
const { keyRingOf } = await import('../core/keys.ts');
const { defineSensitiveFunctions } = await import('../core/sensitive-sql.ts');
const { asOfGaps, attachLake } = await import('../jobs/lake-session.ts');
const { withRuntime } = await import('../lake/runtime.ts');

/** Runs a query and prints its rows; a query that names a table born after --as-of says so. */
async function print(duck: Session, query: string, gaps: { table: string; note: string }[] = []): Promise<void> {
  const { columns, rows } = await duck.allJson(query).catch(async (error: unknown) => {
    const message = String((error as Error).message);
    const notes = gaps.filter((g) => new RegExp(`\\b${g.table.split('.')[1]}\\b`).test(message)).map((g) => g.note);
    if (notes.length) throw new TerminalError(notes.join('\n'), { cause: error });
    // DuckDB would suggest its own catalog ("Did you mean duckdb_tables?"): name the lake's tables instead.
    const missing = /Table with name (\S+) does not exist/.exec(message)?.[1];
    if (missing) {
      const tables = await duck.all(
        "select table_schema || '.' || table_name as name from information_schema.tables where table_schema in ('bronze', 'silver', 'gold') order by 1",
      );
      throw new TerminalError(
        `no table "${missing}" in the lake; its tables: ${tables.map((t) => String(t.name)).join(', ') || 'none yet (pnpm demo fills it)'}`,
      );
    }
    throw error;
  });
  const shown = rows.slice(0, 1000);
  console.log(
    formatTable(
      columns.map((c) => c.name),
      shown.map((r) =>
        columns.map((c) =>
          r[c.name] === null ? 'NULL' : typeof r[c.name] === 'object' ? JSON.stringify(r[c.name]) : String(r[c.name]),
        ),
      ),
    ),
  );
  console.log(
    `(${rows.length} row${rows.length === 1 ? '' : 's'}${rows.length > shown.length ? `, first ${shown.length} shown` : ''})`,
  );
}

runMain(async () =>
  withRuntime(config(), async (rt) => {
    const duck = await DuckSession.open({ tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb') });
    try {
      await defineSensitiveFunctions(duck, keyRingOf(rt.config));
      const asOf = values['as-of'] === undefined ? undefined : new Date(values['as-of']);
      if (asOf && Number.isNaN(asOf.getTime()))
        throw new TerminalError(`--as-of "${values['as-of']}" is not a time; use ISO-8601, e.g. 2026-11-23T08:00:00Z`);
      const gaps = asOf ? await asOfGaps(rt, asOf) : [];
      const tables = await attachLake(rt, duck, { asOf });
      if (values.command !== undefined) {
        await print(duck, values.command, gaps);
        return 0;
      }
      console.log(
        `Tables: ${tables.join(', ') || 'none yet (run pnpm demo)'}\nEnd each query with ; — Ctrl-D to quit.`,
      );
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'strata> ' });
      let buffer = '';
      rl.prompt();
      for await (const line of rl) {
        buffer += `${line}\n`;
        if (buffer.trim().endsWith(';')) {
          await print(duck, buffer, gaps).catch((e: unknown) => console.error(`error: ${describeError(e)}`));
          buffer = '';
        }
        rl.prompt();
      }
      return 0;
    } finally {
      duck.close();
    }
  }),
);
