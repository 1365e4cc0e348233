// Gold `crypto_ohlc_minute` and `crypto_ohlc_hour`: candles per coin in tumbling event-time windows, kept current by
// `pnpm stream` in micro-batches (or by `pnpm job:gold` when no stream runs). One SQL file, two tables (a family told
// apart by the window's size).
import type { TableSpec } from '../../../jobs/table-spec.ts';

const candles = (grain: 'minute' | 'hour') =>
  ({
    name: `crypto_ohlc_${grain}`,
    layer: 'gold',
    description: `One-${grain} OHLC candles per coin from the price ticks, by event time.`,
    from: ['silver.crypto_ticks'],
    primaryKey: ['symbol', 'period_start'],
    writeMode: 'window',
    streaming: true,
    partitionBy: 'date',
    window: {
      eventTime: 'ts',
      size: `1 ${grain}`,
      // A tick may arrive up to 5 minutes behind the latest one and still update its candle; later, it is quarantined.
      lateness: '5 minutes',
      groupBy: ['symbol'],
      measures: {
        open: { first: 'price' },
        high: { max: 'price' },
        low: { min: 'price' },
        close: { last: 'price' },
        ticks: { count: '*' },
      },
    },
    indexes: [['period_start']],
    columns: {
      symbol: 'Trading pair',
      period_start: `Start of the ${grain} (UTC)`,
      period_end: `End of the ${grain} (UTC, exclusive)`,
      date: `UTC day of the ${grain}`,
      open: 'Price of the first tick',
      open_at: 'Time of the first tick',
      high: 'Highest price',
      low: 'Lowest price',
      close: 'Price of the last tick',
      close_at: 'Time of the last tick',
      ticks: `Ticks in the ${grain}`,
    },
  }) satisfies TableSpec;

export default [candles('minute'), candles('hour')];
