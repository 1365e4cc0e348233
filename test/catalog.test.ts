// The lake catalog in PostgreSQL: optimistic commits, whole snapshots, and reading an older snapshot.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Catalog } from '../lake/catalog/catalog.ts';
import { CommitConflictError } from '../core/errors.ts';
import { sleep } from '../core/retry.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const table = { layer: 'silver', name: 'things' } as const;
const file = (path: string, rowCount: number) => ({ path, rowCount, bytes: rowCount * 10 });

describe('catalog', () => {
  let env: Isolated;
  before(async () => (env = await isolatedRuntime()));
  after(async () => env?.cleanup());

  it('opens an up-to-date catalog without taking a lock, even while a commit holds a table', async () => {
    await env.rt.catalog.commit({
      table: { layer: 'bronze', name: 'locked' },
      baseSnapshotId: null,
      operation: 'append',
      add: [file('bronze/locked/a.parquet', 1)],
    });
    const holder = await env.rt.pool.connect();
    try {
      await holder.query('begin');
      await holder.query("select * from strata_catalog.tables where name = 'locked' for update");
      await holder.query('lock table strata_catalog.files in row exclusive mode');
      const outcome = await Promise.race([
        new Catalog(env.rt.pool).migrate().then(() => 'migrated'),
        sleep(5000).then(() => 'blocked behind the commit'),
      ]);
      assert.equal(outcome, 'migrated');
    } finally {
      await holder.query('rollback');
      holder.release();
    }
  });

  it('commits snapshots that list exactly their live files', async () => {
    const s1 = await env.rt.catalog.commit({
      table,
      baseSnapshotId: null,
      operation: 'append',
      add: [file('silver/things/a.parquet', 5)],
    });
    const s2 = await env.rt.catalog.commit({
      table,
      baseSnapshotId: s1,
      operation: 'append',
      add: [file('silver/things/b.parquet', 7)],
    });
    const s3 = await env.rt.catalog.commit({
      table,
      baseSnapshotId: s2,
      operation: 'replace',
      remove: 'all',
      add: [file('silver/things/c.parquet', 3)],
    });
    assert.deepEqual(
      (await env.rt.catalog.currentSnapshot(table))!.files.map((f) => f.path),
      ['silver/things/c.parquet'],
    );
    assert.deepEqual(
      (await env.rt.catalog.snapshotAt(table, s2)).files.map((f) => f.path),
      ['silver/things/a.parquet', 'silver/things/b.parquet'],
    );
    assert.equal(await env.rt.catalog.rowCount(table), 3);
    assert.ok(s1 < s2 && s2 < s3);
  });

  it('refuses a replace based on a snapshot that is no longer current, and changes nothing', async () => {
    const current = (await env.rt.catalog.currentSnapshot(table))!;
    await assert.rejects(
      env.rt.catalog.commit({
        table,
        baseSnapshotId: current.snapshotId - 1,
        operation: 'replace',
        remove: 'all',
        add: [file('silver/things/late.parquet', 1)],
      }),
      CommitConflictError,
    );
    assert.deepEqual((await env.rt.catalog.currentSnapshot(table))!, current);
  });

  it('lets exactly one of two racing replaces commit', async () => {
    const base = (await env.rt.catalog.currentSnapshot(table))!.snapshotId;
    const outcomes = await Promise.allSettled(
      [1, 2].map((n) =>
        env.rt.catalog.commit({
          table,
          baseSnapshotId: base,
          operation: 'replace',
          remove: 'all',
          add: [file(`silver/things/race-${n}.parquet`, n)],
        }),
      ),
    );
    assert.deepEqual(outcomes.map((o) => o.status).sort(), ['fulfilled', 'rejected']);
    const winner = outcomes.findIndex((o) => o.status === 'fulfilled') + 1;
    assert.equal(await env.rt.catalog.rowCount(table), winner);
  });

  it('never conflicts on pure appends, even from the same base', async () => {
    const before = await env.rt.catalog.rowCount(table);
    const base = (await env.rt.catalog.currentSnapshot(table))!.snapshotId;
    await Promise.all(
      [1, 2, 3].map((n) =>
        env.rt.catalog.commit({
          table,
          baseSnapshotId: base,
          operation: 'append',
          add: [file(`silver/things/app-${n}.parquet`, 10)],
        }),
      ),
    );
    assert.equal(await env.rt.catalog.rowCount(table), before + 30);
  });

  it('refuses to replace listed files once another commit removed one of them', async () => {
    const live = (await env.rt.catalog.currentSnapshot(table))!.files;
    const [a, b] = live.slice(-2);
    const s = await env.rt.catalog.commit({
      table,
      baseSnapshotId: null,
      operation: 'compact',
      remove: [a!.fileId],
      add: [file('silver/things/a2.parquet', a!.rowCount)],
    });
    await assert.rejects(
      env.rt.catalog.commit({
        table,
        baseSnapshotId: s - 1,
        operation: 'compact',
        remove: [a!.fileId, b!.fileId],
        add: [file('silver/things/ab.parquet', 20)],
      }),
      CommitConflictError,
    );
  });
});
