// The per-table summary printed by `pnpm job:*` and `pnpm demo`.
import { formatTable } from '../core/cli.ts';
import type { TableRunResult } from '../core/jobs/table-spec.ts';

export function jobSummary(results: TableRunResult[]): string {
  const table = formatTable(
    ['table', 'status', 'files in', 'rows in', 'rows out', 'quarantined', 'dropped', 'duration'],
    results.map((r) => [
      r.table,
      r.status,
      r.filesIn,
      r.rowsIn,
      r.rowsOut,
      r.rowsQuarantined,
      r.rowsDropped,
      `${r.durationMillis} ms`,
    ]),
  );
  const notes = results.flatMap((r) => [
    ...(r.error ? [`${r.table}: ${r.error}`] : []),
    ...Object.entries(r.warnings).map(([rule, n]) => `${r.table}: warning: ${n} rows broke ${rule}`),
  ]);
  return [table, ...notes].join('\n');
}
