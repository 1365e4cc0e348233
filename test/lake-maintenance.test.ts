// Compaction and vacuum on a real bronze table: no row changes, old snapshots stay readable until retention passes,
// orphans go, and the commands do the same as the functions.
import { isIcebergMetadata } from '../lake/iceberg/iceberg-writer.ts';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../bronze/bronze-writer.ts';
import { PROJECT_ROOT } from '../core/config.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable } from '../lake/lake-views.ts';
import { compactTable } from '../lake/compact.ts';
import { vacuumLake } from '../lake/vacuum.ts';
import { withJobLock } from '../jobs/job-lock.ts';
import { sleep } from '../core/retry.ts';
import type { Snapshot } from '../lake/catalog/catalog.ts';
import { StreamPublisher } from '../streams/publisher.ts';
import { envelope } from './support/envelopes.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';
import { scriptArgs } from '../core/modules.ts';

const table = { layer: 'bronze', name: 'maint' } as const;

/** Every row of a snapshot, in a stable order, as one fingerprint plus a count. */
async function contents(env: Isolated, snapshot?: Snapshot) {
  return withDuck(async (duck) => {
    await attachTable(env.rt, duck, table, snapshot);
    const [row] = await duck.all(
      `select count(*)::integer as n, md5(string_agg(concat_ws('|', event_id, payload, observed_at::varchar, _stream_id), ',' order by _stream_id)) as digest from bronze.maint`,
    );
    return { rows: row!.n as number, digest: row!.digest as string };
  });
}

function cli(env: Isolated, ...args: string[]) {
  const r = cliRun(env, ...args);
  assert.equal(r.status, 0, r.output);
  return r.output;
}

function cliRun(env: Isolated, ...args: string[]) {
  const r = spawnSync(process.execPath, [...scriptArgs('bin/lake.ts'), ...args], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      ...process.env,
      DATABASE_URL: env.config.databaseUrl,
      STRATA_REDIS_PREFIX: env.config.redisPrefix,
      STRATA_LAKE_URL: env.config.lakeUrl,
    },
  });
  return { status: r.status, output: r.stdout + r.stderr };
}

describe('lake maintenance', () => {
  let env: Isolated;
  let original: { rows: number; digest: string };
  let before0: Snapshot;
  let beforeTime: Date;

  before(async () => {
    env = await isolatedRuntime();
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    await publisher.publish(
      'maint',
      Array.from({ length: 1200 }, (_, i) =>
        envelope('maint', `k${i}`, `{"i":${i}}`, new Date(Date.UTC(2026, 10, 1 + (i % 2), i % 24)).toISOString()),
      ),
    );
    const result = await drainSource(env.rt, 'maint', { maxBatchRows: 100 });
    assert.equal(result.status, 'succeeded', result.error);
    before0 = (await env.rt.catalog.currentSnapshot(table))!;
    original = await contents(env);
    await sleep(20);
    beforeTime = new Date();
    await sleep(20);
  });
  after(async () => env?.cleanup());

  it('starts from many small files', () => {
    assert.equal(before0.files.length, 12, 'one file per batch, whatever the observation dates');
    assert.deepEqual(
      before0.files.map((f) => f.observedDates),
      Array(12).fill([['2026-11-01', '2026-11-02']]),
    );
    assert.equal(original.rows, 1200);
  });

  it('merges each partition into one file without changing a row', async () => {
    const result = await compactTable(env.rt, table);
    assert.deepEqual(
      [result.partitionsCompacted, result.filesBefore, result.filesAfter, result.rows],
      [1, 12, 1, 1200],
    );
    const now = (await env.rt.catalog.currentSnapshot(table))!;
    assert.deepEqual(
      now.files.map((f) => [f.partitionValues, f.observedDates]),
      [[before0.files[0]!.partitionValues, [['2026-11-01', '2026-11-02']]]],
    );
    assert.deepEqual(await contents(env), original);
  });

  it('still serves the old snapshot, by id and by time, to a reader holding it', async () => {
    assert.deepEqual(await contents(env, await env.rt.catalog.snapshotAt(table, before0.snapshotId)), original);
    const asOf = await env.rt.catalog.snapshotAsOf(table, beforeTime);
    assert.equal(asOf?.snapshotId, before0.snapshotId);
    assert.equal(asOf?.files.length, 12);
  });

  it('keeps replaced files while the retention runs, and deletes only them (and orphans) after', async () => {
    await env.rt.store.putBytes('bronze/maint/dt=2026-11-01/orphan-upload.parquet', 'never committed');
    const within = await vacuumLake(env.rt, { retentionMillis: 3_600_000 });
    assert.deepEqual([within.expiredFiles, within.orphanFiles], [0, 0]);
    assert.deepEqual(await contents(env, await env.rt.catalog.snapshotAt(table, before0.snapshotId)), original);

    // An unknown object younger than an hour may be an upload about to be committed: kept, even with no retention.
    const young = await vacuumLake(env.rt, { retentionMillis: 0, dryRun: true });
    assert.equal(young.orphanFiles, 0);
    const past = await vacuumLake(env.rt, { retentionMillis: 0, now: new Date(Date.now() + 2 * 3_600_000) });
    assert.deepEqual([past.expiredFiles, past.orphanFiles], [12, 1]);
    // One data file left, beside the table's Iceberg metadata (which the catalog does not record, and vacuum keeps).
    const objects = await env.rt.store.list('bronze/maint/');
    assert.deepEqual(objects.filter((o) => !isIcebergMetadata(o.key)).length, 1);
    assert.ok(objects.some((o) => o.key === 'bronze/maint/metadata/version-hint.text'));
    assert.deepEqual(await contents(env), original);
    await assert.rejects(
      env.rt.catalog.snapshotAt(table, before0.snapshotId),
      /past retention: 12 of its files were removed by lake:vacuum/,
    );
  });

  it('does the same through pnpm lake:compact and pnpm lake:vacuum', async () => {
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    await publisher.publish(
      'maint',
      Array.from({ length: 300 }, (_, i) => envelope('maint', `more${i}`, `{"m":${i}}`, '2026-11-01T05:00:00.000Z')),
    );
    await drainSource(env.rt, 'maint', { maxBatchRows: 100 });
    const grown = await contents(env);
    assert.equal(grown.rows, 1500);
    assert.match(cli(env, 'compact', '--table', 'bronze.maint'), /bronze\.maint\s+1\s+4\s+1\s+1500/);
    assert.match(cli(env, 'vacuum', '--retention-hours', '0'), /deleted 4 replaced files and 0 orphans/);
    assert.deepEqual(await contents(env), grown);
  });
});

describe('pnpm lake:check and the jobs lock', () => {
  let env: Isolated;
  const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);

  before(async () => {
    env = await isolatedRuntime();
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    await publisher.publish(
      'chk',
      Array.from({ length: 50 }, (_, i) => envelope('chk', `k${i}`, `{"i":${i}}`, '2026-11-01T10:00:00Z')),
    );
    assert.equal((await drainSource(env.rt, 'chk')).status, 'succeeded');
  });
  after(async () => env?.cleanup());

  it('finds orphans and leftover temporary files, and removes them with --repair', async () => {
    await env.rt.store.putBytes('bronze/chk/orphan.parquet', 'never committed');
    const orphan = await env.rt.store.localPath('bronze/chk/orphan.parquet');
    const leftover = `${orphan.replace('orphan', 'unfinished')}.tmp-1234`;
    writeFileSync(leftover, 'half a file');
    await env.rt.store.putBytes('bronze/chk/in-flight.parquet', 'about to be committed');
    for (const file of [orphan, leftover]) utimesSync(file, twoHoursAgo, twoHoursAgo);

    const found = cli(env, 'check');
    assert.match(found, /Missing from storage: 0\n/);
    assert.match(found, /Orphans found \(pnpm lake:check --repair removes them\): 1\n\s+bronze\/chk\/orphan\.parquet/);
    assert.match(found, /Temporary files found .*: 1\n\s+\S+unfinished\.parquet\.tmp-1234/);
    assert.match(found, /Left alone: 1 unknown objects younger than an hour/);
    assert.ok(existsSync(orphan) && existsSync(leftover), 'a check alone changes nothing');

    assert.match(cli(env, 'check', '--repair'), /Orphans removed: 1\n/);
    assert.ok(!existsSync(orphan) && !existsSync(leftover));
    assert.ok(await env.rt.store.head('bronze/chk/in-flight.parquet'), 'the young object stays');
  });

  it('reports a current file deleted by hand and exits 1', async () => {
    const [file] = (await env.rt.catalog.currentSnapshot({ layer: 'bronze', name: 'chk' }))!.files;
    rmSync(await env.rt.store.localPath(file!.path));
    const r = cliRun(env, 'check');
    assert.equal(r.status, 1, r.output);
    assert.match(
      r.output,
      new RegExp(`Missing from storage: 1 .*\\n\\s+${file!.path} \\(bronze\\.chk, current snapshot\\)`),
    );
  });

  it('runs vacuum only when no job runs', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const taken = new Promise<void>((resolve) => (locked = resolve));
    const job = withJobLock(env.rt, { label: 'job:silver' }, async () => {
      locked();
      await held;
    });
    await taken;
    try {
      const r = cliRun(env, 'vacuum');
      assert.equal(r.status, 2, r.output);
      assert.match(r.output, /Another job run is in progress \(strata job:silver pid \d+/);
    } finally {
      release();
      await job;
    }
    assert.match(cli(env, 'vacuum'), /deleted 0 replaced files/);
  });
});

describe('compaction under incremental readers', () => {
  let env: Isolated;
  const part = { layer: 'bronze', name: 'partial' } as const;
  const reader = { layer: 'silver', name: 'partial_reader' } as const;

  before(async () => {
    env = await isolatedRuntime();
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    await publisher.publish(
      'partial',
      Array.from({ length: 400 }, (_, i) => envelope('partial', `k${i}`, `{"i":${i}}`, '2026-11-01T10:00:00Z')),
    );
    assert.equal((await drainSource(env.rt, 'partial', { maxBatchRows: 100 })).status, 'succeeded');
  });
  after(async () => env?.cleanup());

  it('merges only files the same readers consumed, so no reader sees a row twice', async () => {
    const files = (await env.rt.catalog.currentSnapshot(part))!.files;
    assert.equal(files.length, 4);
    // A reader has processed the first two files, not the last two (its next incremental run reads those).
    await env.rt.catalog.commit({
      table: reader,
      baseSnapshotId: null,
      operation: 'append',
      add: [],
      consumed: [files[0]!.fileId, files[1]!.fileId],
    });
    const result = await compactTable(env.rt, part);
    assert.deepEqual(
      [result.partitionsCompacted, result.filesBefore, result.filesAfter, result.rows],
      [2, 4, 2, 400],
      'read and unread files apart',
    );
    const merged = (await env.rt.catalog.currentSnapshot(part))!.files;
    const consumed = await env.rt.catalog.consumedFiles(reader);
    const unread = merged.filter((f) => !consumed.has(f.fileId));
    assert.equal(unread.length, 1);
    assert.equal(unread[0]!.rowCount, 200, 'the reader has exactly the two files it never read left to read');
  });

  it('refuses a compaction commit whose files a reader consumed only in part meanwhile', async () => {
    const files = (await env.rt.catalog.currentSnapshot(part))!.files;
    const [read, unread] = [...files].sort((a, b) => a.fileId - b.fileId);
    await assert.rejects(
      env.rt.catalog.commit({
        table: part,
        baseSnapshotId: null,
        operation: 'compact',
        remove: [read!.fileId, unread!.fileId],
        add: [
          {
            path: 'bronze/partial/dt=2026-11-01/never.parquet',
            rowCount: 400,
            bytes: 1,
            partitionValues: { dt: '2026-11-01' },
            compactedFrom: [read!.fileId, unread!.fileId],
          },
        ],
      }),
      /a reader consumed some of the files being compacted meanwhile/,
    );
    assert.equal((await env.rt.catalog.currentSnapshot(part))!.files.length, 2, 'nothing committed');
  });

  it('refuses an incremental commit of input files another run already consumed', async () => {
    const live = (await env.rt.catalog.currentSnapshot(part))!.files.map((f) => f.fileId);
    const consumed = [...(await env.rt.catalog.consumedFiles(reader))].filter((id) => live.includes(id));
    assert.equal(consumed.length, 1);
    await assert.rejects(
      env.rt.catalog.commit({
        table: reader,
        baseSnapshotId: null,
        operation: 'append',
        add: [],
        consumed,
        consumeOnce: true,
      }),
      /already processed by another run; nothing committed/,
    );
  });
});

describe('background compaction', () => {
  let env: Isolated;
  const source = { layer: 'bronze', name: 'settled' } as const;
  const reader = { layer: 'silver', name: 'settled_reader' } as const;

  before(async () => {
    env = await isolatedRuntime();
    const publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
    for (let batch = 0; batch < 6; batch++) {
      await publisher.publish(
        'settled',
        Array.from({ length: 50 }, (_, i) =>
          envelope('settled', `b${batch}-${i}`, `{"i":${i}}`, '2026-11-01T10:00:00Z'),
        ),
      );
      assert.equal((await drainSource(env.rt, 'settled')).status, 'succeeded');
    }
  });
  after(async () => env?.cleanup());

  it('merges only files every reader consumed, and never those of the latest write', async () => {
    const files = (await env.rt.catalog.currentSnapshot(source))!.files.sort((a, b) => a.fileId - b.fileId);
    assert.equal(files.length, 6);
    // The reader has processed the first four files; the fifth and sixth wait for its next run.
    await env.rt.catalog.commit({
      table: reader,
      baseSnapshotId: null,
      operation: 'append',
      add: [],
      consumed: files.slice(0, 4).map((f) => f.fileId),
    });
    const settled = await compactTable(env.rt, source, { settledOnly: true, keepLatestWrite: true, minFiles: 2 });
    assert.deepEqual(
      [settled.partitionsCompacted, settled.filesBefore, settled.filesAfter, settled.rows],
      [1, 6, 3, 200],
    );
    // Once the reader consumed the fifth, it joins the merged ones; the sixth is the latest write and stays.
    await env.rt.catalog.commit({
      table: reader,
      baseSnapshotId: null,
      operation: 'append',
      add: [],
      consumed: [files[4]!.fileId, files[5]!.fileId],
    });
    const again = await compactTable(env.rt, source, { settledOnly: true, keepLatestWrite: true, minFiles: 2 });
    assert.deepEqual([again.filesBefore, again.filesAfter, again.rows], [3, 2, 250]);
    const live = (await env.rt.catalog.currentSnapshot(source))!.files;
    assert.ok(
      live.some((f) => f.fileId === files[5]!.fileId),
      'the latest write is left as it is',
    );
    assert.equal(
      live.reduce((n, f) => n + f.rowCount, 0),
      300,
    );
  });

  it('waits for a partition to hold the threshold of files', async () => {
    const r = await compactTable(env.rt, source, { minFiles: 3, dryRun: true });
    assert.deepEqual([r.partitionsCompacted, r.filesBefore, r.filesAfter], [0, 2, 2]);
  });
});
