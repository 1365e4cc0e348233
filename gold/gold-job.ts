// The gold job: build gold tables in the lake, then load each one that succeeded into PostgreSQL.
import path from 'node:path';
import { DuckSession } from '../core/duckdb.ts';
import { runLayer, type JobOptions } from '../core/jobs/job-runner.ts';
import { loadTables } from '../core/jobs/registry.ts';
import type { TableRunResult } from '../core/jobs/table-spec.ts';
import type { Runtime } from '../core/runtime.ts';
import { loadGoldTable, type LoadResult } from './loader/postgres-loader.ts';

export async function runGoldJob(rt: Runtime, options: JobOptions & { onLoaded?: (r: LoadResult) => void } = {}): Promise<{ tables: TableRunResult[]; loads: LoadResult[] }> {
  const tables = await runLayer(rt, 'gold', options);
  const definitions = await loadTables('gold');
  const loads: LoadResult[] = [];
  const duck = await DuckSession.open({ memoryLimit: '2GB', tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb') });
  try {
    for (const result of tables.filter((t) => t.status === 'succeeded')) {
      const definition = definitions.find((d) => `${d.layer}.${d.name}` === result.table)!;
      const load = await loadGoldTable(rt, duck, definition);
      options.onLoaded?.(load);
      loads.push(load);
    }
  } finally {
    duck.close();
  }
  return { tables, loads };
}
