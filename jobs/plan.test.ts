import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiveFile } from '../lake/catalog/catalog.ts';
import { planTable } from './plan.ts';
import type { TableDefinition } from './table-spec.ts';

const file = (fileId: number, dt?: string): LiveFile => ({
  fileId,
  path: `f${fileId}`,
  rowCount: 10,
  bytes: 1,
  addedSnapshotId: 1,
  partitionValues: dt ? { dt } : {},
});
const table = (over: Partial<TableDefinition> = {}): TableDefinition => ({
  name: 't',
  layer: 'silver',
  from: ['bronze.x'],
  primaryKey: ['id'],
  writeMode: 'merge',
  partitionBy: 'day',
  description: '',
  sql: '',
  sqlPath: '',
  ...over,
});
const inputs = [{ name: 'bronze.x', liveFiles: [file(1, '2026-11-20'), file(2, '2026-11-21'), file(3, '2026-11-21')] }];
const ids = (read: Map<string, LiveFile[]>) => [...read.values()].flat().map((f) => f.fileId);

describe('planTable', () => {
  it('reads everything on the first run and on a full refresh', () => {
    assert.deepEqual(ids(planTable(table(), inputs, { exists: false, consumed: new Set() }).read), [1, 2, 3]);
    assert.equal(
      planTable(table(), inputs, { exists: true, consumed: new Set([1, 2, 3]) }, { fullRefresh: true }).scope,
      'all',
    );
  });
  it('is up to date when every input file was consumed', () => {
    const plan = planTable(table(), inputs, { exists: true, consumed: new Set([1, 2, 3]) });
    assert.deepEqual([plan.action, ids(plan.read)], ['up to date', []]);
  });
  it('merges only new files', () => {
    const plan = planTable(table(), inputs, { exists: true, consumed: new Set([1, 2]) });
    assert.deepEqual([plan.scope, ids(plan.read)], ['new', [3]]);
  });
  it('rebuilds a partitioned replace table for the partitions of new files, from all their files', () => {
    const plan = planTable(table({ writeMode: 'replace' }), inputs, { exists: true, consumed: new Set([1, 2]) });
    assert.deepEqual([plan.scope, plan.partitions, ids(plan.read)], ['partitions', ['2026-11-21'], [2, 3]]);
    assert.equal(
      planTable(table({ writeMode: 'replace', partitionBy: undefined }), inputs, {
        exists: true,
        consumed: new Set([1, 2]),
      }).scope,
      'all',
    );
  });
  it('rebuilds a table whose files are not partitioned as declared', () => {
    assert.equal(
      planTable(table(), inputs, { exists: true, consumed: new Set([1, 2, 3]), layoutChanged: true }).scope,
      'all',
    );
  });
  it('backfills the partitions in range whatever was consumed', () => {
    const plan = planTable(
      table(),
      inputs,
      { exists: true, consumed: new Set([1, 2, 3]) },
      { range: { from: '2026-11-20', to: '2026-11-20' } },
    );
    assert.deepEqual([plan.scope, plan.partitions, ids(plan.read)], ['partitions', ['2026-11-20'], [1]]);
    assert.equal(
      planTable(
        table(),
        inputs,
        { exists: true, consumed: new Set() },
        { range: { from: '2026-12-01', to: '2026-12-02' } },
      ).action,
      'up to date',
    );
  });

  describe('over bronze files partitioned by ingest date', () => {
    const bronze = (fileId: number, observedDates: [string, string][]): LiveFile => ({
      ...file(fileId),
      partitionValues: { ingest_date: '2026-12-02' },
      observedDates,
    });
    const history = [
      {
        name: 'bronze.x',
        liveFiles: [
          bronze(1, [['2019-01-01', '2022-12-31']]),
          bronze(2, [
            ['2026-12-01', '2026-12-02'],
            ['2020-06-15', '2020-06-15'],
          ]),
        ],
      },
    ];

    it('rebuilds a partitioned replace table for exactly the observation dates new files hold', () => {
      const plan = planTable(table({ writeMode: 'replace' }), history, { exists: true, consumed: new Set([1]) });
      assert.deepEqual(
        [plan.scope, plan.partitions, ids(plan.read)],
        ['partitions', ['2020-06-15', '2026-12-01', '2026-12-02'], [1, 2]],
      );
    });

    it('backfills a range from the files holding its dates, not from the day they were ingested', () => {
      const plan = planTable(
        table(),
        history,
        { exists: true, consumed: new Set([1, 2]) },
        { range: { from: '2022-12-30', to: '2023-01-02' } },
      );
      assert.deepEqual(
        [plan.scope, plan.partitions, ids(plan.read)],
        ['partitions', ['2022-12-30', '2022-12-31'], [1]],
      );
    });
  });
});
