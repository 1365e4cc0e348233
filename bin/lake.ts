// `pnpm lake:compact`, `pnpm lake:vacuum`, `pnpm lake:check`, `pnpm lake:catalog` and `pnpm lake:rekey`: lake
// maintenance through the catalog. Compaction, vacuum, rekeying and a repair hold the jobs lock, so none runs beside a job.
import { parseCommand, runMain } from '../core/cli.ts';
import { TerminalError } from '../core/errors.ts';
import type { CompactResult } from '../lake/compact.ts';
import type { CheckResult } from '../lake/check.ts';
import path from 'node:path';

const { values, positionals } = parseCommand({
  usage:
    'pnpm lake:compact [--table <layer.name>] [--target-mb <n>] [--dry-run] | pnpm lake:vacuum [--retention-hours <n>] [--dry-run] | pnpm lake:check [--repair] | pnpm lake:catalog [--output <file>] | pnpm lake:rekey [--dry-run] | pnpm lake:iceberg',
  summary:
    'lake:compact merges the small files of each partition of bronze tables (or one table) into one file, committed as a new\n' +
    'snapshot with the same rows; older snapshots stay readable. lake:vacuum deletes files that snapshots older than the\n' +
    'retention replaced, and orphaned objects older than it and than an hour (an unknown younger object may be an upload\n' +
    'about to be committed); snapshots needing deleted files can then no longer be read. lake:check reconciles the catalog\n' +
    'with the storage: files the catalog records but the storage lacks, orphans, temporary files of unfinished writes and\n' +
    'stale cached copies; --repair removes the last three (missing files need a restore). Exit code 1 when a current file is\n' +
    'missing. Compaction, vacuum and a repair wait for no job: they hold the jobs lock (--wait queues behind a running job).\n' +
    'lake:catalog writes a DuckDB database file holding a view per table over its current snapshot (and the declared views),\n' +
    'for the official DuckDB CLI: `duckdb -readonly .strata/lake.duckdb`. Run it again after jobs to see their new snapshots.\n' +
    'lake:rekey rewrites every file holding a value encrypted under an older key than the newest of STRATA_ENCRYPTION_KEYS\n' +
    '(a new snapshot, same rows) and reloads the gold tables it changed into PostgreSQL; `pnpm lake:vacuum --retention-hours 0`\n' +
    'then deletes the replaced files, after which the old key can leave the list (docs/security.md).\n' +
    "lake:iceberg brings every table's Iceberg metadata level with its current snapshot (each commit does it by itself;\n" +
    'this catches up after a crash): docs/iceberg.md.',
  options: {
    table: {
      type: 'string',
      valueName: 'layer.name',
      description: 'lake:compact: only this table (default: every bronze table)',
    },
    'target-mb': {
      type: 'string',
      valueName: 'n',
      description: 'lake:compact: files under this size are merged',
      default: '128',
    },
    'retention-hours': {
      type: 'string',
      valueName: 'n',
      description: 'lake:vacuum: keep replaced files this long (default: STRATA_LAKE_RETENTION_HOURS, 168)',
    },
    'dry-run': { type: 'boolean', description: 'Say what would change, change nothing (compact, vacuum, rekey)' },
    repair: { type: 'boolean', description: 'lake:check: remove orphans, temporary files and stale cached copies' },
    wait: {
      type: 'boolean',
      description: 'If a job runs, wait for it instead of exiting (compact, vacuum, rekey, check --repair)',
    },
    output: {
      type: 'string',
      valueName: 'file',
      description: 'lake:catalog: the database file to write (default: <STRATA_DATA_DIR>/lake.duckdb)',
    },
  },
  allowPositionals: true,
});

// Everything else loads once the arguments are read, so that --help answers at once.
const { compactSummary } = await import('../pipeline/summary.ts');
const { config } = await import('../core/config.ts');
const { refOf } = await import('../lake/catalog/catalog.ts');
const { compactTable } = await import('../lake/compact.ts');
const { vacuumLake } = await import('../lake/vacuum.ts');
const { checkLake } = await import('../lake/check.ts');
const { rekeyLake } = await import('../pipeline/rekey.ts');
const { withJobLock } = await import('../jobs/job-lock.ts');
const { writeLakeCatalog } = await import('../jobs/lake-catalog.ts');
const { withRuntime } = await import('../lake/runtime.ts');

runMain(async () => {
  const action = positionals[0];
  return withRuntime(config(), async (rt) => {
    const locked = <T>(fn: () => Promise<T>) => withJobLock(rt, { label: `lake:${action}`, wait: values.wait }, fn);
    if (action === 'compact') {
      const tables = values.table
        ? [refOf(values.table)]
        : (await rt.catalog.listTables()).filter((t) => t.layer === 'bronze' && t.snapshotId !== null);
      const options = { targetBytes: Number(values['target-mb']) * 1024 * 1024, dryRun: values['dry-run'] };
      const results: CompactResult[] = [];
      await locked(async () => {
        for (const t of tables) results.push(await compactTable(rt, t, options));
      });
      console.log(compactSummary(results, values['dry-run']));
      return 0;
    }
    if (action === 'vacuum') {
      const hours =
        values['retention-hours'] === undefined ? rt.config.lakeRetentionHours : Number(values['retention-hours']);
      if (!(hours >= 0)) throw new TerminalError('--retention-hours must be a number ≥ 0');
      const r = await locked(() => vacuumLake(rt, { retentionMillis: hours * 3_600_000, dryRun: values['dry-run'] }));
      console.log(
        `${values['dry-run'] ? 'would delete' : 'deleted'} ${r.expiredFiles} replaced files and ${r.orphanFiles} orphans (${(r.bytesFreed / 1048576).toFixed(1)} MiB), retention ${hours} h`,
      );
      for (const p of r.paths.slice(0, 20)) console.log(`  ${p}`);
      if (r.paths.length > 20) console.log(`  … and ${r.paths.length - 20} more`);
      return 0;
    }
    if (action === 'check') {
      // Orphans and leftovers need only the hour's age: the retention is for files a snapshot replaced.
      const options = { repair: Boolean(values.repair), retentionMillis: 0 };
      const r = options.repair ? await locked(() => checkLake(rt, options)) : await checkLake(rt, options);
      console.log(checkSummary(r));
      return r.missing.some((m) => m.live) ? 1 : 0;
    }
    if (action === 'catalog') {
      const output = path.resolve(values.output ?? path.join(rt.config.dataDir, 'lake.duckdb'));
      const names = await writeLakeCatalog(rt, output);
      console.log(
        `Wrote ${output} with ${names.length} views: ${names.join(', ')}\nOpen it with: duckdb -readonly ${output}`,
      );
      return 0;
    }
    if (action === 'rekey') {
      const dryRun = Boolean(values['dry-run']);
      const r = await locked(() =>
        rekeyLake(rt, {
          dryRun,
          onTable: (t) => {
            if (t.filesRewritten)
              console.log(
                `  ${t.table}: ${dryRun ? 'would rewrite' : 'rewrote'} ${t.filesRewritten} of ${t.filesChecked} files (${t.rows} rows)`,
              );
          },
        }),
      );
      const files = r.tables.reduce((n, t) => n + t.filesRewritten, 0);
      console.log(
        `${dryRun ? 'would move' : 'moved'} ${files} files of ${r.tables.filter((t) => t.filesRewritten).length} tables to key ${r.key}` +
          (r.reloaded.length ? `; reloaded into PostgreSQL: ${r.reloaded.join(', ')}` : '') +
          (files && !dryRun
            ? '\nThe replaced files stay until `pnpm lake:vacuum` (--retention-hours 0 deletes them now).'
            : ''),
      );
      return 0;
    }
    if (action === 'iceberg') {
      const results = await rt.iceberg.catchUp();
      for (const r of results.filter((x) => x.version !== undefined || x.expired))
        console.log(
          `  ${r.table}: v${r.version ?? '-'} at snapshot ${r.snapshotId ?? '-'}${r.expired ? `, ${r.expired} snapshots expired` : ''}`,
        );
      console.log(
        `Iceberg metadata of ${results.length} tables is current (${results.filter((r) => r.version !== undefined).length} written now)`,
      );
      return 0;
    }
    throw new TerminalError(
      'Run `pnpm lake:compact`, `pnpm lake:vacuum`, `pnpm lake:check`, `pnpm lake:catalog`, `pnpm lake:rekey` or `pnpm lake:iceberg` (see --help)',
    );
  });
});

function checkSummary(r: CheckResult): string {
  const list = (items: string[]) => [
    ...items.slice(0, 10).map((p) => `    ${p}`),
    ...(items.length > 10 ? [`    … and ${items.length - 10} more`] : []),
  ];
  const done = r.repaired ? 'removed' : 'found (pnpm lake:check --repair removes them)';
  const lines = [
    `Missing from storage: ${r.missing.length}${r.missing.length ? ' (restore them from a backup: reads that need them fail)' : ''}`,
    ...list(r.missing.map((m) => `${m.path} (${m.table}, ${m.live ? 'current snapshot' : 'an older snapshot'})`)),
    `Orphans ${done}: ${r.orphans.length}`,
    ...list(r.orphans),
    `Temporary files ${done}: ${r.temporary.length}`,
    ...list(r.temporary),
    `Stale cached copies ${done}: ${r.staleCache.length}`,
    ...list(r.staleCache),
  ];
  if (r.inFlight)
    lines.push(
      `Left alone: ${r.inFlight} unknown objects younger than an hour (uploads perhaps about to be committed)`,
    );
  return lines.join('\n');
}
