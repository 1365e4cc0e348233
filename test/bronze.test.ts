// The bronze writer against real Redis, PostgreSQL and the lake: Parquet per date, and no loss or duplicate when
// the writer dies between committing a file and acknowledging its entries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { drainSource } from '../bronze/bronze-writer.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable } from '../core/jobs/lake-views.ts';
import { BRONZE_GROUP, streamKey } from '../core/streams/keys.ts';
import { StreamPublisher } from '../core/streams/publisher.ts';
import { envelope } from './support/envelopes.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const SOURCE = 'weather';
const events = (from: number, count: number) =>
  Array.from({ length: count }, (_, j) => {
    const i = from + j;
    const payload = JSON.stringify({ i, note: 'ünïcode, "quotes" and\nnewlines' });
    return envelope(SOURCE, `k${i}`, payload, new Date(Date.UTC(2026, 10, 1 + (i % 3), i % 24)).toISOString());
  });

async function bronzeRows(env: Isolated) {
  return withDuck(async (duck) => {
    await attachTable(env.rt, duck, { layer: 'bronze', name: SOURCE });
    return duck.all('select event_id, payload from bronze.weather order by event_id');
  });
}

describe('bronze writer', () => {
  let env: Isolated;
  let publisher: StreamPublisher;
  before(async () => {
    env = await isolatedRuntime();
    publisher = new StreamPublisher(env.rt.redis(), env.config.redisPrefix, 3600);
  });
  after(async () => env?.cleanup());

  it('writes one Parquet file per observation date, keeping payloads byte for byte', async () => {
    const batch = events(0, 300);
    await publisher.publish(SOURCE, batch);
    const result = await drainSource(env.rt, SOURCE, { maxBatchRows: 1000 });
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual([result.entriesRead, result.rowsWritten, result.filesWritten], [300, 300, 3]);
    const snapshot = await env.rt.catalog.currentSnapshot({ layer: 'bronze', name: SOURCE });
    assert.deepEqual(snapshot!.files.map((f) => f.path.split('/').slice(0, 3).join('/')).sort(), [
      'bronze/weather/dt=2026-11-01', 'bronze/weather/dt=2026-11-02', 'bronze/weather/dt=2026-11-03',
    ]);
    const rows = await bronzeRows(env);
    assert.deepEqual(rows.map((r) => [r.event_id, r.payload]), batch.map((e) => [e.event_id, e.payload]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)));
  });

  it('skips entries already committed when it restarts after dying between commit and acknowledge', async () => {
    await publisher.publish(SOURCE, events(300, 250));
    const crashed = await drainSource(env.rt, SOURCE, {
      maxBatchRows: 100,
      onFailpoint: (name) => {
        if (name === 'bronze-after-commit') throw new Error('killed after commit');
      },
    });
    assert.equal(crashed.status, 'failed');
    assert.match(crashed.error ?? '', /killed after commit/);
    assert.equal(await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), 300 + 100, 'the first batch was committed');
    const pending = (await env.rt.redis().xpending(streamKey(env.config.redisPrefix, SOURCE), BRONZE_GROUP)) as [number, ...unknown[]];
    assert.equal(pending[0], 200, 'the committed batch and the batch read ahead are both pending');

    const resumed = await drainSource(env.rt, SOURCE, { maxBatchRows: 100 });
    assert.equal(resumed.status, 'succeeded', resumed.error);
    assert.deepEqual([resumed.skippedCommitted, resumed.rowsWritten], [100, 150]);
    const rows = await bronzeRows(env);
    assert.equal(rows.length, 550);
    assert.equal(new Set(rows.map((r) => r.event_id)).size, 550);
    const after = (await env.rt.redis().xpending(streamKey(env.config.redisPrefix, SOURCE), BRONZE_GROUP)) as [number, ...unknown[]];
    assert.equal(after[0], 0);
  });

  it('refuses the commit of a writer whose batch another writer took over meanwhile (a zombie)', async () => {
    await publisher.publish(SOURCE, events(550, 80));
    const before = await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE });
    let release!: () => void;
    let paused!: () => void;
    const isPaused = new Promise<void>((resolve) => (paused = resolve));
    const zombie = drainSource(env.rt, SOURCE, {
      consumer: 'zombie',
      onFailpoint: (name) => {
        if (name !== 'bronze-after-upload') return;
        paused();
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    await isPaused;
    const successor = await drainSource(env.rt, SOURCE, { consumer: 'successor', claimIdleMillis: 0 });
    assert.deepEqual([successor.status, successor.claimed, successor.rowsWritten], ['succeeded', 80, 80]);
    release();
    const late = await zombie;
    assert.deepEqual([late.status, late.abandonedBatches, late.rowsWritten], ['succeeded', 1, 0], late.error);
    assert.equal(await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), before + 80);
  });

  it('does nothing when the stream holds nothing new', async () => {
    const result = await drainSource(env.rt, SOURCE);
    assert.deepEqual([result.status, result.entriesRead, result.rowsWritten], ['succeeded', 0, 0]);
  });
});
