// Tests for a table's logic, declared beside it (`<layer>/tables/<name>/<name>.test.ts`): given source records in one
// batch or several, the rows the table holds afterwards, its quarantine and, for window tables, its watermark. Each
// case runs the real path on isolated services: the ingest runner (parse, dedup, dead letters), the bronze writer,
// then the table and everything upstream of it, batch after batch, so merge, scd2 and window tables are tested across
// runs. `pnpm test:tables [--select …]` runs them; `pnpm test` includes them.
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../bronze/bronze-writer.ts';
import { withDuck } from '../core/duckdb.ts';
import { keyRingOf } from '../core/keys.ts';
import { isolatedRuntime, type Isolated } from '../infra/local/sandbox.ts';
import { runIngest } from '../ingest/ingest-runner.ts';
import { SOURCES } from '../ingest/sources/index.ts';
import { quarantineRef } from '../jobs/quarantine.ts';
import type { TableRef } from '../lake/catalog/catalog.ts';
import { attachTable, viewName } from '../lake/lake-views.ts';
import type { Runtime } from '../lake/runtime.ts';
import { runBatch } from './run-batch.ts';

type Row = Record<string, unknown>;

export interface TableExpectation {
  /**
   * The table's rows after the batch, in any order; only the columns named here are compared. An encrypted value
   * reads as `clear:<its text>` (so a test shows both that it was encrypted and what it holds).
   */
  rows?: Row[];
  /** Its quarantine's rows (columns such as `_reason`, `_rules` or the table's own), or how many there are. */
  quarantine?: Row[] | number;
  /** A window table's watermark after the batch (ISO time). */
  watermark?: string;
  /** How many rows the table holds. */
  rowCount?: number;
  /** Holds exactly the rows of another table (`<layer>.<name>`), compared on the columns both have. */
  sameRowsAs?: string;
}

export interface TableTestBatch {
  /** Records as each source's collector would yield them, by source name (a record it cannot parse is dead-lettered). */
  given: Record<string, Row[]>;
  expect?: TableExpectation;
}

export interface TableTestCase {
  name: string;
  /** One batch: `given` and `expect`, or several `batches`, each run in turn; the last one must expect something. */
  given?: TableTestBatch['given'];
  expect?: TableExpectation;
  batches?: TableTestBatch[];
}

export interface TableTestSpec {
  /** `<layer>.<name>` of the table under test. */
  table: string;
  cases: TableTestCase[];
}

/** Declares a table's tests with Node's test runner: a suite for the table, a test per case. */
export function tableTest({ table, cases }: TableTestSpec): void {
  const [layer, name] = table.split('.');
  if ((layer !== 'silver' && layer !== 'gold') || !name)
    throw new Error(`table must be silver.<name> or gold.<name>, not "${table}"`);
  const ref: TableRef = { layer, name };
  describe(table, { timeout: 300_000 }, () => {
    for (const testCase of cases) {
      const batches = testCase.batches ?? [{ given: testCase.given ?? {}, expect: testCase.expect }];
      if (!batches.at(-1)?.expect)
        throw new Error(`${table}: case "${testCase.name}" expects nothing of its last batch`);
      describe(testCase.name, () => {
        let env: Isolated;
        before(async () => {
          env = await isolatedRuntime();
        });
        after(async () => env?.cleanup());
        batches.forEach((batch, i) => {
          it(`batch ${i + 1} of ${batches.length}`, async () => {
            await runTableBatch(env.rt, table, batch.given);
            if (batch.expect) await checkExpectation(env.rt, ref, batch.expect, `${table} after batch ${i + 1}`);
          });
        });
      });
    }
  });
}

/** Collects the given records through each source's runner, writes them to bronze, and runs the table and its inputs. */
export async function runTableBatch(rt: Runtime, table: string, given: TableTestBatch['given']): Promise<void> {
  for (const [name, records] of Object.entries(given)) {
    const source = SOURCES[name];
    if (!source) throw new Error(`given: no source named "${name}"; known: ${Object.keys(SOURCES).join(', ')}`);
    const ingest = await runIngest(rt, { ...source, collect: () => recordsOf(records) });
    assert.equal(ingest.status, 'succeeded', `collecting the given ${name} records failed: ${ingest.error}`);
    await drainSource(rt, name);
  }
  const run = await runBatch(rt, { layers: [table.startsWith('gold.') ? 'gold' : 'silver'], select: [`+${table}`] });
  const failed = run.tables.filter((r) => r.status === 'failed').map((r) => `${r.target}: ${r.error}`);
  assert.deepEqual(failed, [], 'a table of the batch failed');
}

async function* recordsOf(records: Row[]) {
  for (const record of records) yield { text: JSON.stringify(record) };
}

/** Compares a table (and its quarantine and watermark) with what a batch expects. */
export async function checkExpectation(rt: Runtime, ref: TableRef, expected: TableExpectation, label: string) {
  if (expected.rows) assertRows((await readTable(rt, ref)).rows, expected.rows, `${label}: rows`);
  if (typeof expected.quarantine === 'number') {
    assert.equal(await rt.catalog.rowCount(quarantineRef(ref)), expected.quarantine, `${label}: quarantined rows`);
  } else if (expected.quarantine) {
    assertRows((await readTable(rt, quarantineRef(ref))).rows, expected.quarantine, `${label}: quarantine`);
  }
  if (expected.rowCount !== undefined)
    assert.equal(await rt.catalog.rowCount(ref), expected.rowCount, `${label}: row count`);
  if (expected.sameRowsAs) {
    const [layer, name] = expected.sameRowsAs.split('.') as [TableRef['layer'], string];
    const [mine, theirs] = [await readTable(rt, ref), await readTable(rt, { layer, name })];
    const shared = mine.columns.filter((c) => !c.startsWith('_') && theirs.columns.includes(c));
    assert.ok(shared.length > 0, `${label}: no column in common with ${expected.sameRowsAs}`);
    assert.deepEqual(
      project(mine.rows, shared),
      project(theirs.rows, shared),
      `${label}: rows of ${expected.sameRowsAs}`,
    );
  }
  if (expected.watermark !== undefined) {
    const snapshot = await rt.catalog.currentSnapshot(ref);
    const summary = snapshot ? await rt.catalog.snapshotSummary(snapshot.snapshotId) : {};
    const watermark = (summary.window as { watermark?: string } | undefined)?.watermark;
    assert.equal(watermark, expected.watermark, `${label}: watermark`);
  }
}

/** A table's columns and rows as JSON values (none before its first commit), numbers kept as numbers. */
async function readTable(rt: Runtime, ref: TableRef): Promise<{ columns: string[]; rows: Row[] }> {
  if (!(await rt.catalog.currentSnapshot(ref))) return { columns: [], rows: [] };
  const { rows, columns } = await withDuck(async (duck) => {
    await attachTable(rt, duck, ref);
    return duck.allJson(`select * from ${viewName(ref)}`);
  });
  const numeric = new Set(columns.filter((t) => NUMERIC_AS_TEXT.test(t.type)).map((t) => t.name));
  // Encrypted values are compared in clear (the test's own data folder holds the key); hashes as they are.
  const ring = keyRingOf(rt.config);
  const value = (c: string, v: unknown) =>
    numeric.has(c) && typeof v === 'string' && Number.isFinite(Number(v))
      ? Number(v)
      : ring && typeof v === 'string' && v.startsWith('enc:')
        ? `clear:${ring.reveal(v)}`
        : v;
  return {
    columns: columns.map((c) => c.name),
    rows: rows.map((row) => Object.fromEntries(Object.entries(row).map(([c, v]) => [c, value(c, v ?? null)]))),
  };
}

/** The rows on the given columns only, in one order whatever order they were read in. */
const project = (rows: Row[], columns: string[]) =>
  rows
    .map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null])))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));

/**
 * Each expected row matches one actual row on the columns it names (rows may name different columns), and every
 * actual row is matched: what is left on either side is reported.
 */
function assertRows(actual: Row[], expected: Row[], label: string): void {
  const left = [...actual];
  const missing: Row[] = [];
  for (const want of [...expected].sort((a, b) => Object.keys(b).length - Object.keys(a).length)) {
    const i = left.findIndex((row) => Object.entries(want).every(([k, v]) => isDeepStrictEqual(row[k], v ?? null)));
    if (i < 0) missing.push(want);
    else left.splice(i, 1);
  }
  assert.deepEqual({ missing, unexpected: left }, { missing: [], unexpected: [] }, label);
}

/** DuckDB types whose JSON form is text (64-bit and wider integers, decimals): compared as the numbers they are. */
const NUMERIC_AS_TEXT = /^(BIGINT|UBIGINT|HUGEINT|UHUGEINT|DECIMAL)/;
