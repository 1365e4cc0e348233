// Gold `crypto_ohlc_minute` and `crypto_ohlc_hour`: candles per coin, one table per period, rebuilt per day from
// the days whose ticks changed. One SQL file, two tables (a family told apart by `params.grain`).
import type { TableSpec } from '../../../core/jobs/table-spec.ts';

const candles = (grain: 'minute' | 'hour') => ({
  name: `crypto_ohlc_${grain}`,
  layer: 'gold',
  description: `One-${grain} OHLC candles per coin from the price ticks.`,
  from: ['silver.crypto_ticks'],
  primaryKey: ['symbol', 'period_start'],
  writeMode: 'replace',
  partitionBy: 'date',
  params: { grain },
  expectations: { candle_consistent: { check: 'low <= least(open, close) and high >= greatest(open, close)', action: 'fail' } },
  indexes: [['period_start']],
  columns: {
    symbol: 'Trading pair', period_start: `Start of the ${grain} (UTC)`, date: `UTC day of the ${grain}`,
    open: 'Price of the first tick', high: 'Highest price', low: 'Lowest price', close: 'Price of the last tick', ticks: `Ticks in the ${grain}`,
  },
}) satisfies TableSpec;

export default [candles('minute'), candles('hour')];
