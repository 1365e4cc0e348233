// Streaming windows: ticks arrive in five micro-batches, out of order, with duplicates and late ones. After every
// batch, each one-minute and one-hour candle in PostgreSQL and in the lake must equal the test's own computation of
// event-time windows with a watermark (latest event time of the earlier batches minus 5 minutes), and every late tick
// must sit in the window table's quarantine with its reason.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { sqlString } from '../core/duckdb.ts';
import { acquireStreamLock } from '../jobs/job-lock.ts';
import { runJob } from '../jobs/job-runner.ts';
import { attachTable } from '../lake/lake-views.ts';
import { StreamingTables } from '../jobs/micro-batch.ts';
import { sleep } from '../core/retry.ts';
import { streamingGoldLoader } from '../gold/gold-job.ts';
import { GOLD_LOADED_CHANNEL } from '../gold/served.ts';
import { loadBronze } from './support/bronze-fixture.ts';
import { eventTimeWindows, type Candle, type Tick } from './support/candles.ts';
import { isolatedRuntime, type Isolated } from './support/isolated.ts';

const t = (symbol: string, time: string, price: number): Tick => ({
  symbol: `${symbol}USDT`,
  ts: `2026-11-20T${time}Z`,
  price,
});

const BATCHES: Tick[][] = [
  [
    t('BTC', '10:00:10', 100),
    t('BTC', '10:00:40', 102),
    t('BTC', '10:00:05', 101),
    t('BTC', '10:01:30', 103),
    t('ETH', '10:00:20', 3000),
    t('ETH', '10:02:00', 3010),
  ],
  // Late but inside the watermark (09:57:00): BTC 10:00:50 becomes its minute's close, ETH 10:00:01 its minute's open.
  [t('BTC', '10:05:00', 105), t('BTC', '10:00:50', 99), t('ETH', '10:07:30', 3020), t('ETH', '10:00:01', 2995)],
  // Watermark 10:02:30: BTC 10:01:59's minute has closed (its hour has not); BTC 09:59:59 is late for both; 10:03:00 counts.
  [t('BTC', '10:01:59', 98), t('BTC', '10:03:00', 104), t('BTC', '09:59:59', 97), t('ETH', '10:08:00', 3030)],
  // A tick sent again (dropped at ingest), another with a known key but a new price (dropped by silver), a new hour.
  [t('BTC', '10:05:00', 999), t('BTC', '10:00:10', 100), t('BTC', '11:10:00', 110), t('ETH', '10:59:59', 3040)],
  // Watermark 11:05:00: ETH 10:30:00 is late for both tables; BTC 11:01:00 only for the minutes.
  [t('ETH', '10:30:00', 3050), t('BTC', '11:01:00', 111)],
];
const LATENESS = 5 * 60_000;
const expectWindows = (batches: Tick[][], size: number) => eventTimeWindows(batches, size, LATENESS);

const iso = (v: unknown) =>
  v instanceof Date ? v.toISOString() : new Date(String(v).replace(' ', 'T').replace(/\+00$/, 'Z')).toISOString();
const normalise = (rows: Record<string, unknown>[]): Candle[] =>
  rows.map((r) => ({
    symbol: String(r.symbol),
    period_start: iso(r.period_start),
    period_end: iso(r.period_end),
    open: Number(r.open),
    open_at: iso(r.open_at).replace('.000Z', 'Z'),
    high: Number(r.high),
    low: Number(r.low),
    close: Number(r.close),
    close_at: iso(r.close_at).replace('.000Z', 'Z'),
    ticks: Number(r.ticks),
  }));
const COLUMNS = 'symbol, period_start, period_end, open, open_at, high, low, close, close_at, ticks';

describe('streaming windows: out-of-order, duplicate and late ticks in micro-batches', { timeout: 240_000 }, () => {
  let env: Isolated;
  let tables: StreamingTables;
  const modes: string[] = [];

  before(async () => {
    env = await isolatedRuntime();
    tables = await StreamingTables.open(env.rt);
  });
  after(async () => {
    tables?.close();
    await env?.cleanup();
  });

  it('declares the crypto tables as streaming and reads bronze.crypto', () => {
    assert.deepEqual(
      tables.tables.map((x) => `${x.layer}.${x.name}`),
      ['silver.crypto_ticks', 'gold.crypto_ohlc_minute', 'gold.crypto_ohlc_hour'],
    );
    assert.deepEqual(tables.sources, ['crypto']);
  });

  it('keeps every candle exact after each micro-batch, in PostgreSQL and in the lake', async () => {
    const loader = streamingGoldLoader(env.rt, (load) => modes.push(`${load.target}:${load.mode}`));
    // What the API's live feed hears: one notification per table and micro-batch, naming the committed snapshot.
    const listener = new pg.Client({ connectionString: env.config.databaseUrl });
    await listener.connect();
    const heard: { table: string; snapshotId: number }[] = [];
    listener.on('notification', (n) => heard.push(JSON.parse(n.payload!)));
    await listener.query(`listen ${GOLD_LOADED_CHANNEL}`);
    for (const [i, batch] of BATCHES.entries()) {
      await loadBronze(
        env.rt,
        'crypto',
        batch.map((x) => ({ key: `${x.symbol}|${x.ts}`, observedAt: x.ts, payload: { ...x, volume_24h: 1000 } })),
      );
      const results = await tables.runOnce(loader);
      assert.deepEqual(
        results.map((r) => [r.target, r.status, r.error]),
        tables.tables.map((x) => [`${x.layer}.${x.name}`, 'succeeded', undefined]),
        `batch ${i + 1}`,
      );
      for (const [table, size] of [
        ['crypto_ohlc_minute', 60_000],
        ['crypto_ohlc_hour', 3_600_000],
      ] as const) {
        const expected = expectWindows(BATCHES.slice(0, i + 1), size);
        const { rows } = await env.rt.pool.query(`select ${COLUMNS} from gold.${table} order by symbol, period_start`);
        assert.deepEqual(normalise(rows), expected.candles, `${table} in PostgreSQL after batch ${i + 1}`);
        await attachTable(env.rt, tables.duck, { layer: 'gold', name: table });
        const lake = await tables.duck.all(`select ${COLUMNS} from gold.${table} order by symbol, period_start`);
        assert.deepEqual(normalise(lake), expected.candles, `${table} in the lake after batch ${i + 1}`);
      }
    }
    // The first batch loads each table whole; every later one upserts only what changed.
    assert.deepEqual(modes.slice(0, 2), ['gold.crypto_ohlc_minute:full', 'gold.crypto_ohlc_hour:full']);
    assert.ok(
      modes.slice(2).every((m) => m.endsWith(':upsert')),
      modes.join(' '),
    );
    assert.equal(modes.length, 2 * BATCHES.length);
    await sleep(200);
    await listener.end();
    assert.equal(heard.filter((h) => h.table === 'crypto_ohlc_minute').length, BATCHES.length);
    assert.equal(
      heard.at(-1)!.snapshotId,
      (await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'crypto_ohlc_hour' }))!.snapshotId,
    );
    // Silver holds each tick once: 20 sent, one repeated exactly, one repeating a key with a new price.
    assert.equal(await env.rt.catalog.rowCount({ layer: 'silver', name: 'crypto_ticks' }), 18);
  });

  it('puts each late tick in the quarantine with the window, the watermark and the lateness', async () => {
    for (const [table, size] of [
      ['crypto_ohlc_minute', 60_000],
      ['crypto_ohlc_hour', 3_600_000],
    ] as const) {
      await attachTable(env.rt, tables.duck, { layer: 'gold', name: `${table}__quarantine` });
      const rows = await tables.duck.all(
        `select symbol, strftime(ts, '%Y-%m-%dT%H:%M:%SZ') as ts, broken_rules from gold.${table}__quarantine order by all`,
      );
      assert.deepEqual(rows.map((r) => `${r.symbol} ${r.ts}`).sort(), expectWindows(BATCHES, size).late, table);
      for (const r of rows) assert.match(String((r.broken_rules as string[])[0]), /^within_watermark: event time /);
    }
    const reason = await tables.duck.scalar(
      `select broken_rules[1] from gold.crypto_ohlc_minute__quarantine where ts = ${sqlString('2026-11-20 10:01:59+00')}::timestamptz`,
    );
    assert.equal(
      reason,
      'within_watermark: event time 2026-11-20 10:01:59 falls in the 1 minute window 2026-11-20 10:01:00–2026-11-20 10:02:00, ' +
        'closed since the watermark 2026-11-20 10:02:30 (latest event time 2026-11-20 10:07:30 minus 5 minutes of lateness) passed its end',
    );
    assert.deepEqual(expectWindows(BATCHES, 60_000).late, [
      'BTCUSDT 2026-11-20T09:59:59Z',
      'BTCUSDT 2026-11-20T10:01:59Z',
      'BTCUSDT 2026-11-20T11:01:00Z',
      'ETHUSDT 2026-11-20T10:30:00Z',
    ]);
    assert.deepEqual(expectWindows(BATCHES, 3_600_000).late, [
      'BTCUSDT 2026-11-20T09:59:59Z',
      'ETHUSDT 2026-11-20T10:30:00Z',
    ]);
  });

  it('leaves closed windows in files no later batch rewrites', async () => {
    const snapshot = (await env.rt.catalog.currentSnapshot({ layer: 'gold', name: 'crypto_ohlc_minute' }))!;
    const closed = snapshot.files.filter((f) => f.path.includes('-closed'));
    const open = snapshot.files.filter((f) => f.path.includes('-open'));
    assert.ok(closed.length >= 2, `closed files: ${closed.length}`);
    assert.equal(open.length, 1);
    assert.equal(
      closed.reduce((n, f) => n + f.rowCount, 0) + open[0]!.rowCount,
      expectWindows(BATCHES, 60_000).candles.length,
    );
  });

  it('leaves streaming tables to a running stream: job:gold neither runs nor loads them', async () => {
    const lock = await acquireStreamLock(env.rt, 'stream (test)');
    try {
      await assert.rejects(
        acquireStreamLock(env.rt, 'second stream'),
        /A stream is already running \(strata stream \(test\) pid \d+/,
      );
      const [result] = await runJob(env.rt, { layer: 'gold', select: ['crypto_ohlc_minute'] });
      assert.equal(result!.status, 'up to date');
      assert.match(result!.ownedByStream ?? '', /^strata stream \(test\) pid \d+/);
    } finally {
      await lock.release();
    }
  });
});
