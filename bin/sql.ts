// `pnpm sql`: DuckDB over the lake, where every table of every layer is a view of its current snapshot.
import readline from 'node:readline/promises';
import path from 'node:path';
import { formatTable, parseCommand, runMain } from '../core/cli.ts';
import { config } from '../core/config.ts';
import { DuckSession } from '../core/duckdb.ts';
import { describeError } from '../core/errors.ts';
import { attachTable } from '../core/jobs/lake-views.ts';
import { withRuntime } from '../core/runtime.ts';

const { values } = parseCommand({
  usage: 'pnpm sql [-c "<query>"]',
  summary:
    'Opens DuckDB with a view per lake table (bronze.*, silver.*, gold.*), each over the files of its current snapshot.\n' +
    'With -c, runs one query and prints the result; without, reads queries (ending with ;) from the prompt.',
  options: { command: { type: 'string', short: 'c', valueName: 'query', description: 'Run this query and exit' } },
  details: 'Examples:\n  pnpm sql -c "select count(*) from gold.weather_daily"\n  pnpm sql -c "select city, avg(temperature_c) from silver.weather_observations group by all"',
});

async function print(duck: DuckSession, query: string): Promise<void> {
  const { columns, rows } = await duck.allJson(query);
  const shown = rows.slice(0, 1000);
  console.log(formatTable(columns.map((c) => c.name), shown.map((r) => columns.map((c) => (r[c.name] === null ? 'NULL' : typeof r[c.name] === 'object' ? JSON.stringify(r[c.name]) : String(r[c.name]))))));
  console.log(`(${rows.length} row${rows.length === 1 ? '' : 's'}${rows.length > shown.length ? `, first ${shown.length} shown` : ''})`);
}

runMain(async () =>
  withRuntime(config(), async (rt) => {
    const duck = await DuckSession.open({ tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb') });
    try {
      const tables = (await rt.catalog.listTables()).filter((t) => t.snapshotId !== null);
      for (const t of tables) await attachTable(rt, duck, t);
      if (values.command !== undefined) {
        await print(duck, values.command);
        return 0;
      }
      console.log(`Tables: ${tables.map((t) => `${t.layer}.${t.name}`).join(', ') || 'none yet (run pnpm demo)'}\nEnd each query with ; — Ctrl-D to quit.`);
      const rl = readline.createInterface({ input: process.stdin, output: process.stdout, prompt: 'strata> ' });
      let buffer = '';
      rl.prompt();
      for await (const line of rl) {
        buffer += `${line}\n`;
        if (buffer.trim().endsWith(';')) {
          await print(duck, buffer).catch((e: unknown) => console.error(`error: ${describeError(e)}`));
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
