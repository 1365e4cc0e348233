// The bronze writer against real Redis, PostgreSQL and the lake: a Parquet file per batch, and no loss or duplicate
// when the writer dies between committing a file and acknowledging its entries.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { BronzeWriter, drainSource } from '../bronze/bronze-writer.ts';
import { withDuck } from '../core/duckdb.ts';
import { attachTable } from '../lake/lake-views.ts';
import { BRONZE_GROUP, deadLetterKey, streamKey } from '../streams/keys.ts';
import { StreamPublisher } from '../streams/publisher.ts';
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
    publisher = StreamPublisher.fromConfig(env.rt.redis(), env.config);
  });
  after(async () => env?.cleanup());

  it('writes one Parquet file per batch in the folder of the day it was received, its observation dates in the catalog', async () => {
    const batch = events(0, 300);
    await publisher.publish(SOURCE, batch);
    const ids = (await env.rt.redis().xrange(streamKey(env.config.redisPrefix, SOURCE), '-', '+')).map(([id]) => id);
    const result = await drainSource(env.rt, SOURCE, { maxBatchRows: 1000 });
    assert.equal(result.status, 'succeeded', result.error);
    assert.deepEqual([result.rowsIn, result.rowsOut, result.filesWritten], [300, 300, 1]);
    const snapshot = await env.rt.catalog.currentSnapshot({ layer: 'bronze', name: SOURCE });
    const day = new Date(Number(ids[0]!.split('-')[0])).toISOString().slice(0, 10);
    assert.deepEqual(
      snapshot!.files.map((f) => [f.path, f.partitionValues, f.observedDates, f.streamFirstId, f.streamLastId]),
      [
        [
          `bronze/weather/ingest_date=${day}/${ids[0]}_${ids.at(-1)}.parquet`,
          { ingest_date: day },
          [['2026-11-01', '2026-11-03']],
          ids[0],
          ids.at(-1),
        ],
      ],
    );
    const rows = await bronzeRows(env);
    assert.deepEqual(
      rows.map((r) => [r.event_id, r.payload]),
      batch.map((e) => [e.event_id, e.payload]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
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
    assert.equal(
      await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }),
      300 + 100,
      'the first batch was committed',
    );
    const pending = (await env.rt.redis().xpending(streamKey(env.config.redisPrefix, SOURCE), BRONZE_GROUP)) as [
      number,
      ...unknown[],
    ];
    assert.equal(pending[0], 250, 'the committed batch and the two batches read ahead are all pending');

    const resumed = await drainSource(env.rt, SOURCE, { maxBatchRows: 100 });
    assert.equal(resumed.status, 'succeeded', resumed.error);
    assert.deepEqual([resumed.skippedCommitted, resumed.rowsOut], [100, 150]);
    const rows = await bronzeRows(env);
    assert.equal(rows.length, 550);
    assert.equal(new Set(rows.map((r) => r.event_id)).size, 550);
    const after = (await env.rt.redis().xpending(streamKey(env.config.redisPrefix, SOURCE), BRONZE_GROUP)) as [
      number,
      ...unknown[],
    ];
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
    assert.deepEqual([successor.status, successor.claimed, successor.rowsOut], ['succeeded', 80, 80]);
    release();
    const late = await zombie;
    assert.deepEqual([late.status, late.abandonedBatches, late.rowsOut], ['succeeded', 1, 0], late.error);
    assert.equal(await env.rt.catalog.rowCount({ layer: 'bronze', name: SOURCE }), before + 80);
  });

  it('cuts batches by bytes as well as by rows', async () => {
    const big = Array.from({ length: 60 }, (_, i) =>
      envelope('bytes', `b${i}`, JSON.stringify({ i, text: 'y'.repeat(900) }), '2026-11-01T00:00:00.000Z'),
    );
    await publisher.publish('bytes', big);
    const result = await drainSource(env.rt, 'bytes', { maxBatchRows: 1000, maxBatchBytes: 20_000 });
    assert.equal(result.rowsOut, 60);
    const files = (await env.rt.catalog.currentSnapshot({ layer: 'bronze', name: 'bytes' }))!.files;
    assert.equal(files.length, result.batches);
    assert.ok(result.batches >= 3, `${result.batches} batches`);
    for (const f of files)
      assert.ok(f.rowCount <= 20, `a batch of ${f.rowCount} envelopes of ~1.2 kB passed the 20 kB cut`);
  });

  it('waits up to the flush interval to fill a batch when following the stream', async () => {
    const key = 'flush';
    await publisher.publish(
      key,
      events(10_000, 5).map((e) => ({ ...e, source: key })),
    );
    const writer = new BronzeWriter(env.rt, { consumer: 'follower', flushIntervalMillis: 3000 });
    const later = setTimeout(
      () =>
        void publisher.publish(
          key,
          events(10_005, 5).map((e) => ({ ...e, source: key })),
        ),
      300,
    );
    const result = await writer.drain(key, 5000);
    clearTimeout(later);
    await writer.close();
    assert.deepEqual([result.rowsOut, result.batches], [10, 1], 'both waves went into one batch');
  });

  it('dead-letters stream entries that are not valid envelopes, with the reason, into the lake, and writes the rest', async () => {
    const key = streamKey(env.config.redisPrefix, 'mixed');
    const good = events(20_000, 4).map((e) => ({ ...e, source: 'mixed' }));
    await publisher.publish('mixed', good.slice(0, 2));
    await env.rt.redis().xadd(key, '*', 'foo', 'bar');
    await env.rt
      .redis()
      .xadd(
        key,
        '*',
        'envelope',
        '{"source":"mixed","observed_at":"2026-11-01T00:00:00.000Z","payload":"unterminated}',
      );
    await env.rt
      .redis()
      .xadd(key, '*', 'envelope', '{"source":"mixed","observed_at":"2026-11-01T00:00:00.000Z","payload":"{}"}');
    await publisher.publish('mixed', good.slice(2));
    const result = await drainSource(env.rt, 'mixed');
    assert.deepEqual(
      [result.status, result.rowsIn, result.rowsOut, result.rowsRejected, result.deadLettersWritten],
      ['succeeded', 7, 4, 3, 3],
      result.error,
    );
    assert.equal(
      await env.rt.redis().xlen(deadLetterKey(env.config.redisPrefix, 'mixed')),
      0,
      'the dead letters left Redis for the lake',
    );
    const letters = await withDuck(async (duck) => {
      await attachTable(env.rt, duck, { layer: 'bronze', name: 'mixed__dead_letters' });
      return duck.all('select reason, raw, replayed_at from bronze.mixed__dead_letters');
    });
    assert.ok(letters.every((l) => l.replayed_at === null && typeof l.raw === 'string'));
    const reasons = letters.map((l) => String(l.reason).replace(/ \(stream entry .*\)$/, '')).sort();
    assert.deepEqual(reasons, [
      'invalid envelope: envelope is not valid JSON',
      'invalid envelope: envelope lacks or mistypes fields: event_id, natural_key, ingested_at, schema_version, run_id',
      'stream entry is not an envelope entry',
    ]);
    const pending = (await env.rt.redis().xpending(key, BRONZE_GROUP)) as [number];
    assert.equal(pending[0], 0);
  });

  it('does nothing when the stream holds nothing new', async () => {
    const result = await drainSource(env.rt, SOURCE);
    assert.deepEqual([result.status, result.rowsIn, result.rowsOut], ['succeeded', 0, 0]);
  });

  it('records each drain that read something as a run, with its real start and end', async () => {
    const { rows } = await env.rt.pool.query(
      `select status, rows_in, rows_out, extract(epoch from finished_at - started_at) * 1000 as millis, (details->>'durationMillis')::int as reported
         from strata_catalog.runs where kind = 'bronze' and target = $1 order by started_at`,
      [SOURCE],
    );
    assert.deepEqual(
      rows.slice(0, 1).map((r) => [r.status, r.rows_in, r.rows_out]),
      [['succeeded', 300, 300]],
    );
    for (const r of rows)
      assert.ok(r.millis >= r.reported, `run lasted ${r.millis} ms in the log but reported ${r.reported} ms`);
  });
});
