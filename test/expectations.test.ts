// Expectations, one action at a time, and schema evolution, on tables this test declares in its own folder.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { withDuck } from '../core/duckdb.ts';
import { runJob } from '../jobs/job-runner.ts';
import { attachTable } from '../lake/lake-views.ts';
import type { TableSpec } from '../jobs/table-spec.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

/** Writes `<root>/silver/tables/<name>/` with the spec and SQL. */
function declare(root: string, spec: Omit<TableSpec, 'layer' | 'description'>, sql: string): void {
  const dir = path.join(root, 'silver', 'tables', spec.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, `${spec.name}.table.ts`),
    `export default ${JSON.stringify({ layer: 'silver', description: spec.name, ...spec })};\n`,
  );
  writeFileSync(path.join(dir, `${spec.name}.sql`), sql);
}

const VALUES_SQL =
  "select json_extract_string(payload, '$.id') as id, try_cast(json_extract_string(payload, '$.v') as integer) as v, payload as _raw from bronze.checks";

describe('expectations: warn, drop, quarantine and fail, with exact counts', { timeout: 120_000 }, () => {
  let env: Isolated;
  let root: string;
  before(async () => {
    env = await isolatedRuntime();
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-tables-'));
    // v = 1..10, and one record whose v is not a number.
    const records = [
      ...Array.from({ length: 10 }, (_, i) => ({ id: `r${i + 1}`, v: i + 1 })),
      { id: 'r11', v: 'eleven' },
    ];
    await loadBronze(
      env.rt,
      'checks',
      records.map((r) => ({ key: r.id, observedAt: '2026-11-20T00:00:00Z', payload: r })),
    );
    const base = { from: ['bronze.checks'], primaryKey: ['id'], writeMode: 'replace' as const };
    declare(
      root,
      { ...base, name: 'checks_warn', expectations: { small: { check: 'v <= 8', action: 'warn' } } },
      VALUES_SQL,
    );
    declare(
      root,
      { ...base, name: 'checks_drop', expectations: { not_three: { check: 'v <> 3', action: 'drop' } } },
      VALUES_SQL,
    );
    declare(
      root,
      {
        ...base,
        name: 'checks_quarantine',
        expectations: {
          not_five: { check: 'v <> 5', action: 'quarantine' },
          odd_or_small: { check: 'v % 2 = 1 or v < 5', action: 'quarantine' },
        },
      },
      VALUES_SQL,
    );
    declare(
      root,
      { ...base, name: 'checks_fail', expectations: { below_nine: { check: 'v < 9', action: 'fail' } } },
      VALUES_SQL,
    );
    declare(
      root,
      { ...base, name: 'checks_keyless', primaryKey: ['k'] },
      `select case when v = 4 then null else id end as k, v, _raw from (${VALUES_SQL})`,
    );
    declare(
      root,
      { ...base, name: 'checks_empty', partitionBy: 'day' },
      `select id, v, date '2026-11-20' as day from (${VALUES_SQL}) where false`,
    );
    declare(
      root,
      { ...base, name: 'checks_text' },
      `select id, cast(v as varchar) as v from (${VALUES_SQL}) where v is not null`,
    );
    declare(
      root,
      { ...base, name: 'checks_paths', partitionBy: 'part' },
      `select id, v, 'a/../../../gold/victim' as part from (${VALUES_SQL})`,
    );
  });
  after(async () => {
    rmSync(root, { recursive: true, force: true });
    await env?.cleanup();
  });

  const rows = (table: string, sql: string) =>
    withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'silver', name: table });
      return (await duck.allJson(sql)).rows;
    });

  it('warn: keeps every row and counts those that broke the rule (a NULL breaks it)', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_warn'] });
    assert.equal(result!.status, 'succeeded', result!.error);
    assert.deepEqual([result!.rowsIn, result!.rowsOut, result!.warnings], [11, 11, { small: 3 }]);
  });

  it('drop: removes the rows that broke the rule and counts them', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_drop'] });
    assert.deepEqual(
      [result!.status, result!.rowsOut, result!.rowsDropped, result!.rowsRejected],
      ['succeeded', 9, 2, 0],
    );
    assert.deepEqual(
      await rows('checks_drop', "select count(*)::integer as n from silver.checks_drop where id in ('r3', 'r11')"),
      [{ n: 0 }],
    );
    assert.equal(
      await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'checks_drop__quarantine' }),
      undefined,
      'dropped rows are not kept',
    );
  });

  it('quarantine: sets rows aside with their raw record and every rule they broke', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_quarantine'] });
    assert.deepEqual([result!.status, result!.rowsOut, result!.rowsRejected], ['succeeded', 6, 5]);
    const quarantined = await rows(
      'checks_quarantine__quarantine',
      'select id, raw, broken_rules from silver.checks_quarantine__quarantine order by id',
    );
    assert.deepEqual(quarantined, [
      { id: 'r10', raw: '{"id":"r10","v":10}', broken_rules: ['odd_or_small'] },
      { id: 'r11', raw: '{"id":"r11","v":"eleven"}', broken_rules: ['not_five', 'odd_or_small'] },
      { id: 'r5', raw: '{"id":"r5","v":5}', broken_rules: ['not_five'] },
      { id: 'r6', raw: '{"id":"r6","v":6}', broken_rules: ['odd_or_small'] },
      { id: 'r8', raw: '{"id":"r8","v":8}', broken_rules: ['odd_or_small'] },
    ]);
    const again = await runJob(env.rt, { layer: 'silver', root, select: ['checks_quarantine'], fullRefresh: true });
    assert.equal(again[0]!.rowsRejected, 5);
    assert.equal(
      await env.rt.catalog.rowCount({ layer: 'silver', name: 'checks_quarantine__quarantine' }),
      5,
      'a rebuild does not quarantine rows twice',
    );
  });

  it('fail: stops the table with the rule, its check and the count, and commits nothing', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_fail'] });
    assert.equal(result!.status, 'failed');
    assert.match(result!.error!, /expectations with action "fail" were broken:\n- below_nine \(v < 9\): 3 rows/);
    assert.equal(await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'checks_fail' }), undefined);
  });
  it('every table quarantines a row without its whole primary key, which PostgreSQL would refuse', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_keyless'] });
    assert.deepEqual([result!.status, result!.rowsOut, result!.rowsRejected], ['succeeded', 10, 1]);
    assert.deepEqual(
      await rows('checks_keyless__quarantine', 'select k, raw, broken_rules from silver.checks_keyless__quarantine'),
      [{ k: null, raw: '{"id":"r4","v":4}', broken_rules: ['primary_key_present'] }],
    );
  });

  it("writes the empty file of a partitioned table with no rows in Hive's null partition, not beside the partitions", async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_empty'] });
    assert.equal(result!.status, 'succeeded', result!.error);
    const { files } = (await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'checks_empty' }))!;
    assert.deepEqual(
      files.map((f) => [path.dirname(f.path), f.rowCount]),
      [['silver/checks_empty/day=__HIVE_DEFAULT_PARTITION__', 0]],
    );
  });

  it('keeps file statistics of a text column as text, even where the values read as numbers', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_text'] });
    assert.equal(result!.status, 'succeeded', result!.error);
    const [file] = (await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'checks_text' }))!.files;
    assert.deepEqual(file!.columnStats!.v, { min: '1', max: '9' }); // as text: "10" < "9"
    assert.deepEqual(file!.columnStats!.id, { min: 'r1', max: 'r9' });
  });

  it('refuses a partition column that is not a date, before a file is written', async () => {
    const [result] = await runJob(env.rt, { layer: 'silver', root, select: ['checks_paths'] });
    assert.equal(result!.status, 'failed');
    assert.match(result!.error!, /partitionBy "part" must be a DATE column, and the SQL gives a VARCHAR/);
    assert.deepEqual(await env.rt.store.list('gold/'), []);
    assert.equal(await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'checks_paths' }), undefined);
  });
});

describe('schema evolution', { timeout: 120_000 }, () => {
  let env: Isolated;
  let root: string;
  const spec = { name: 'evolving', from: ['bronze.evo'], primaryKey: ['id'], writeMode: 'merge' as const };
  const record = (id: string, n: number, label: string) => ({
    key: `${id}|${n}|${label}`,
    observedAt: '2026-11-20T00:00:00Z',
    payload: { id, n, label },
  });
  before(async () => {
    env = await isolatedRuntime();
    root = mkdtempSync(path.join(os.tmpdir(), 'strata-tables-'));
    declare(
      root,
      spec,
      "select json_extract_string(payload, '$.id') as id, try_cast(json_extract_string(payload, '$.n') as integer) as n from bronze.evo",
    );
    await loadBronze(env.rt, 'evo', [record('a', 1, 'x'), record('b', 2, 'y')]);
    assert.equal((await runJob(env.rt, { layer: 'silver', root }))[0]!.status, 'succeeded');
  });
  after(async () => {
    rmSync(root, { recursive: true, force: true });
    await env?.cleanup();
  });

  it('adds a new column; rows written before read it as NULL', async () => {
    declare(
      root,
      spec,
      "select json_extract_string(payload, '$.id') as id, try_cast(json_extract_string(payload, '$.n') as integer) as n, json_extract_string(payload, '$.label') as label from bronze.evo",
    );
    await loadBronze(env.rt, 'evo', [record('c', 3, 'z')]);
    const [result] = await runJob(env.rt, { layer: 'silver', root });
    assert.equal(result!.status, 'succeeded', result!.error);
    const rows = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'silver', name: 'evolving' });
      return (await duck.allJson('select id, n, label from silver.evolving order by id')).rows;
    });
    assert.deepEqual(rows, [
      { id: 'a', n: 1, label: null },
      { id: 'b', n: 2, label: null },
      { id: 'c', n: 3, label: 'z' },
    ]);
  });

  it('stops on an incompatible type change, naming the column and the fix', async () => {
    declare(
      root,
      spec,
      "select json_extract_string(payload, '$.id') as id, json_extract_string(payload, '$.n') as n, json_extract_string(payload, '$.label') as label from bronze.evo",
    );
    await loadBronze(env.rt, 'evo', [record('d', 4, 'w')]);
    const before = await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'evolving' });
    const [result] = await runJob(env.rt, { layer: 'silver', root });
    assert.equal(result!.status, 'failed');
    assert.match(result!.error!, /column "n" was INTEGER and is now VARCHAR/);
    assert.match(result!.error!, /--full-refresh --select silver\.evolving/);
    assert.equal(
      (await env.rt.catalog.currentSnapshot({ layer: 'silver', name: 'evolving' }))?.snapshotId,
      before?.snapshotId,
    );
    const [rebuilt] = await runJob(env.rt, { layer: 'silver', root, fullRefresh: true });
    assert.deepEqual([rebuilt!.status, rebuilt!.rowsOut], ['succeeded', 4]);
  });
});
