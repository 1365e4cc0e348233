// The lake catalog in PostgreSQL: optimistic commits, whole snapshots, and reading an older snapshot.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CommitConflictError } from '../core/errors.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const table = { layer: 'silver', name: 'things' } as const;
const file = (path: string, rowCount: number) => ({ path, rowCount, bytes: rowCount * 10 });

describe('catalog', () => {
  let env: Isolated;
  before(async () => (env = await isolatedRuntime()));
  after(async () => env?.cleanup());

  it('commits snapshots that list exactly their live files', async () => {
    const s1 = await env.rt.catalog.commit({ table, baseSnapshotId: null, operation: 'append', add: [file('silver/things/a.parquet', 5)] });
    const s2 = await env.rt.catalog.commit({ table, baseSnapshotId: s1, operation: 'append', add: [file('silver/things/b.parquet', 7)] });
    const s3 = await env.rt.catalog.commit({ table, baseSnapshotId: s2, operation: 'replace', remove: 'all', add: [file('silver/things/c.parquet', 3)] });
    assert.deepEqual((await env.rt.catalog.currentSnapshot(table))!.files.map((f) => f.path), ['silver/things/c.parquet']);
    assert.deepEqual((await env.rt.catalog.snapshotAt(table, s2)).files.map((f) => f.path), ['silver/things/a.parquet', 'silver/things/b.parquet']);
    assert.equal(await env.rt.catalog.rowCount(table), 3);
    assert.ok(s1 < s2 && s2 < s3);
  });

  it('refuses a commit based on a snapshot that is no longer current, and changes nothing', async () => {
    const current = (await env.rt.catalog.currentSnapshot(table))!;
    await assert.rejects(
      env.rt.catalog.commit({ table, baseSnapshotId: current.snapshotId - 1, operation: 'append', add: [file('silver/things/late.parquet', 1)] }),
      CommitConflictError,
    );
    assert.deepEqual((await env.rt.catalog.currentSnapshot(table))!, current);
  });

  it('lets exactly one of two racing writers commit', async () => {
    const base = (await env.rt.catalog.currentSnapshot(table))!.snapshotId;
    const outcomes = await Promise.allSettled([1, 2].map((n) =>
      env.rt.catalog.commit({ table, baseSnapshotId: base, operation: 'append', add: [file(`silver/things/race-${n}.parquet`, 1)] })));
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    assert.equal(await env.rt.catalog.rowCount(table), 4);
  });
});
