// What a batch did, as the commands print it: a line per table, then a line per PostgreSQL load.
import { formatTable } from '../core/cli.ts';
import type { LoadResult } from '../gold/loader/postgres-loader.ts';
import type { IngestResult } from '../ingest/ingest-runner.ts';
import type { BronzeResult } from '../bronze/bronze-result.ts';
import type { planJob } from '../jobs/job-runner.ts';
import type { TableRunResult } from '../jobs/table-spec.ts';
import type { CompactResult } from '../lake/compact.ts';

export function jobSummary(results: TableRunResult[]): string {
  const table = formatTable(
    ['table', 'status', 'files in', 'rows in', 'rows out', 'quarantined', 'dropped', 'duration'],
    results.map((r) => [
      r.target,
      r.status,
      r.filesIn,
      r.rowsIn,
      r.rowsOut,
      r.rowsRejected,
      r.rowsDropped,
      `${r.durationMillis} ms`,
    ]),
  );
  const notes = results.flatMap((r) => [
    ...(r.error ? [`${r.target}: ${r.error}`] : []),
    ...Object.entries(r.warnings).map(([rule, n]) => `${r.target}: warning: ${n} rows broke ${rule}`),
  ]);
  return [table, ...notes].join('\n');
}

/** The PostgreSQL loads of a batch, a line each. */
export function loadSummary(loads: LoadResult[]): string {
  return formatTable(
    ['table', 'status', 'rows', 'lake snapshot', 'duration'],
    loads.map((l) => [
      `gold.${l.target.split('.')[1]}`,
      l.status,
      l.rowsOut,
      l.snapshotId ?? '-',
      `${l.durationMillis} ms`,
    ]),
  );
}

/** One collection run, a line. */
export function ingestSummary(result: IngestResult): string {
  return (
    formatTable(
      [
        'source',
        'status',
        'seen',
        'new',
        'duplicate',
        'failed (dead-lettered)',
        'bloom false positives',
        'paused',
        'duration',
      ],
      [
        [
          result.target,
          result.status,
          result.rowsIn,
          result.rowsOut,
          result.duplicates,
          result.rowsRejected + result.deadLetterDuplicates,
          result.bloomFalsePositives,
          `${result.backpressureMillis} ms`,
          `${result.durationMillis} ms`,
        ],
      ],
    ) + droppedLine(result)
  );
}

/** Sensitive fields the run removed (docs/security.md), said under the table when there were any. */
const droppedLine = (result: IngestResult) => {
  const dropped = Object.entries(result.fieldsDropped ?? {});
  return dropped.length
    ? `\nsensitive fields dropped: ${dropped.map(([field, n]) => `${field} (from ${n} records)`).join(', ')}`
    : '';
};

/** Bronze drains, a line per source. */
export function bronzeSummary(results: BronzeResult[]): string {
  return formatTable(
    [
      'source',
      'status',
      'entries',
      'rows written',
      'dead letters',
      'files',
      'already committed',
      'claimed',
      'trimmed',
      'duration',
    ],
    results.map((r) => [
      r.target,
      r.status,
      r.rowsIn,
      r.rowsOut,
      r.deadLettersWritten,
      r.filesWritten,
      r.skippedCommitted,
      r.claimed,
      r.trimmed,
      `${r.durationMillis} ms`,
    ]),
  );
}

/** What a dry run would do, a line per table. */
export function planSummary(plans: Awaited<ReturnType<typeof planJob>>): string {
  const table = formatTable(
    ['table', 'mode', 'action', 'scope', 'files', 'rows', 'why'],
    plans.map(({ table, plan }) => {
      const files = [...plan.read.values()].flat();
      return [
        `${table.layer}.${table.name}`,
        table.writeMode,
        plan.action,
        plan.action === 'run' ? plan.scope : '-',
        files.length,
        files.reduce((n, f) => n + f.rowCount, 0),
        plan.reason,
      ];
    }),
  );
  return `${table}\n\nDry run: nothing was read or written. Tables downstream of one that runs will also see its new files when the job runs.`;
}

/** What a compaction did (or would do), a line per table. */
export function compactSummary(results: CompactResult[], dryRun = false): string {
  return formatTable(
    ['table', 'partitions merged', 'files before', 'files after', 'rows rewritten', 'snapshot'],
    results.map((r) => [
      r.table,
      r.partitionsCompacted,
      r.filesBefore,
      r.filesAfter,
      r.rows,
      r.snapshotId ?? (dryRun ? 'dry run' : '-'),
    ]),
  );
}
