// Runs a layer's tables in dependency order and returns one result per table; a failed table skips its dependents.
import path from 'node:path';
import { newRunId } from '../catalog/runs.ts';
import { DuckSession } from '../duckdb.ts';
import type { Runtime } from '../runtime.ts';
import { loadTables, topologicalOrder } from './registry.ts';
import type { TableRunResult } from './table-spec.ts';
import { runTable } from './table-runner.ts';

export interface JobOptions {
  /** Only these tables (by name); default: every table of the layer. */
  select?: string[];
  onTableStart?: (table: string) => void;
  onTableDone?: (result: TableRunResult) => void;
}

export async function runLayer(rt: Runtime, layer: 'silver' | 'gold', options: JobOptions = {}): Promise<TableRunResult[]> {
  const all = topologicalOrder(await loadTables(layer));
  const unknown = (options.select ?? []).filter((name) => !all.some((t) => t.name === name));
  if (unknown.length) throw new Error(`No ${layer} table named ${unknown.join(', ')}; known: ${all.map((t) => t.name).join(', ')}`);
  const tables = options.select?.length ? all.filter((t) => options.select!.includes(t.name)) : all;
  const duck = await DuckSession.open({ memoryLimit: '2GB', tempDirectory: path.join(rt.config.dataDir, 'tmp', 'duckdb') });
  const results: TableRunResult[] = [];
  try {
    for (const table of tables) {
      const name = `${table.layer}.${table.name}`;
      options.onTableStart?.(name);
      const failedInput = table.from.find((input) => results.some((r) => r.table === input && r.status !== 'succeeded'));
      let result: TableRunResult;
      if (failedInput) {
        result = { table: name, status: 'skipped', rowsIn: 0, rowsOut: 0, rowsQuarantined: 0, rowsDropped: 0, warnings: {}, durationMillis: 0, error: `input ${failedInput} did not succeed` };
      } else {
        const runId = await rt.runs.start(`job:${layer}`, name, newRunId(layer));
        result = await runTable(rt, duck, table, runId);
        await rt.runs.finish(runId, {
          status: result.status === 'succeeded' ? 'succeeded' : 'failed', rowsIn: result.rowsIn, rowsOut: result.rowsOut,
          rowsQuarantined: result.rowsQuarantined, error: result.error, details: { rowsDropped: result.rowsDropped, warnings: result.warnings, snapshotId: result.snapshotId },
        });
      }
      results.push(result);
      options.onTableDone?.(result);
    }
  } finally {
    duck.close();
  }
  return results;
}
