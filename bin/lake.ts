// `pnpm lake:compact` and `pnpm lake:vacuum`: lake maintenance through the catalog.
import { parseCommand, runMain } from '../core/cli.ts';
import { compactSummary } from '../pipeline/summary.ts';
import { config } from '../core/config.ts';
import { refOf } from '../lake/catalog/catalog.ts';
import { TerminalError } from '../core/errors.ts';
import { compactTable, type CompactResult } from '../lake/compact.ts';
import { vacuumLake } from '../lake/vacuum.ts';
import { writeLakeCatalog } from '../jobs/lake-catalog.ts';
import path from 'node:path';
import { withRuntime } from '../lake/runtime.ts';

const { values, positionals } = parseCommand({
  usage:
    'pnpm lake:compact [--table <layer.name>] [--target-mb <n>] [--dry-run] | pnpm lake:vacuum [--retention-hours <n>] [--dry-run] | pnpm lake:catalog [--output <file>]',
  summary:
    'lake:compact merges the small files of each partition of bronze tables (or one table) into one file, committed as a new\n' +
    'snapshot with the same rows; older snapshots stay readable. lake:vacuum deletes files that snapshots older than the\n' +
    'retention replaced, and orphaned objects older than it; snapshots needing deleted files can then no longer be read.\n' +
    'lake:catalog writes a DuckDB database file holding a view per table over its current snapshot (and the declared views),\n' +
    'for the official DuckDB CLI: `duckdb -readonly .strata/lake.duckdb`. Run it again after jobs to see their new snapshots.',
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
    'dry-run': { type: 'boolean', description: 'Say what would change, change nothing' },
    output: {
      type: 'string',
      valueName: 'file',
      description: 'lake:catalog: the database file to write (default: <STRATA_DATA_DIR>/lake.duckdb)',
    },
  },
  allowPositionals: true,
});

runMain(async () => {
  const action = positionals[0];
  return withRuntime(config(), async (rt) => {
    if (action === 'compact') {
      const tables = values.table
        ? [refOf(values.table)]
        : (await rt.catalog.listTables()).filter((t) => t.layer === 'bronze' && t.snapshotId !== null);
      const options = { targetBytes: Number(values['target-mb']) * 1024 * 1024, dryRun: values['dry-run'] };
      const results: CompactResult[] = [];
      for (const t of tables) results.push(await compactTable(rt, t, options));
      console.log(compactSummary(results, values['dry-run']));
      return 0;
    }
    if (action === 'vacuum') {
      const hours =
        values['retention-hours'] === undefined ? rt.config.lakeRetentionHours : Number(values['retention-hours']);
      if (!(hours >= 0)) throw new TerminalError('--retention-hours must be a number ≥ 0');
      const r = await vacuumLake(rt, { retentionMillis: hours * 3_600_000, dryRun: values['dry-run'] });
      console.log(
        `${values['dry-run'] ? 'would delete' : 'deleted'} ${r.expiredFiles} replaced files and ${r.orphanFiles} orphans (${(r.bytesFreed / 1048576).toFixed(1)} MiB), retention ${hours} h`,
      );
      for (const p of r.paths.slice(0, 20)) console.log(`  ${p}`);
      if (r.paths.length > 20) console.log(`  … and ${r.paths.length - 20} more`);
      return 0;
    }
    if (action === 'catalog') {
      const output = path.resolve(values.output ?? path.join(rt.config.dataDir, 'lake.duckdb'));
      const names = await writeLakeCatalog(rt, output);
      console.log(
        `Wrote ${output} with ${names.length} views: ${names.join(', ')}\nOpen it with: duckdb -readonly ${output}`,
      );
      return 0;
    }
    throw new TerminalError('Run `pnpm lake:compact`, `pnpm lake:vacuum` or `pnpm lake:catalog` (see --help)');
  });
});
