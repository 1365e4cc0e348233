// Given price ticks batch after batch, the minute candles gold.crypto_ohlc_minute holds: by event time, a late tick
// still folded into its open window, and one behind the watermark (5 minutes) quarantined.
import { tableTest } from '../../../pipeline/table-test.ts';

const tick = (time: string, price: number, symbol = 'BTCUSDT') => ({
  symbol,
  ts: `2026-11-01T${time}Z`,
  price,
  volume_24h: 1000,
});

const candle = (minute: string, open: number, high: number, low: number, close: number, ticks: number) => ({
  symbol: 'BTCUSDT',
  period_start: `2026-11-01 ${minute}:00+00`,
  open,
  high,
  low,
  close,
  ticks,
});

tableTest({
  table: 'gold.crypto_ohlc_minute',
  cases: [
    {
      name: 'folds ticks into event-time candles across runs until the watermark closes them',
      batches: [
        {
          given: { crypto: [tick('10:00:05', 100), tick('10:00:30', 110), tick('10:00:50', 90), tick('10:01:10', 95)] },
          expect: {
            rows: [candle('10:00', 100, 110, 90, 90, 3), candle('10:01', 95, 95, 95, 95, 1)],
            watermark: '2026-11-01T09:56:10.000Z',
          },
        },
        {
          // 10:00:40 arrives late but its window is still open; 10:20 moves the watermark to 10:15.
          given: { crypto: [tick('10:00:40', 120), tick('10:20:00', 101)] },
          expect: {
            rows: [
              candle('10:00', 100, 120, 90, 90, 4),
              candle('10:01', 95, 95, 95, 95, 1),
              candle('10:20', 101, 101, 101, 101, 1),
            ],
            quarantine: 0,
            watermark: '2026-11-01T10:15:00.000Z',
          },
        },
        {
          // The 10:00 window closed at the watermark: a tick for it is quarantined, the candle unchanged.
          given: { crypto: [tick('10:00:59', 500)] },
          expect: {
            rows: [
              candle('10:00', 100, 120, 90, 90, 4),
              candle('10:01', 95, 95, 95, 95, 1),
              candle('10:20', 101, 101, 101, 101, 1),
            ],
            quarantine: 1,
            watermark: '2026-11-01T10:15:00.000Z',
          },
        },
      ],
    },
  ],
});

tableTest({
  table: 'gold.crypto_ohlc_hour',
  cases: [
    {
      name: 'builds hour candles from the same ticks',
      given: { crypto: [tick('10:00:05', 100), tick('10:30:00', 120), tick('10:59:59', 110), tick('11:10:00', 90)] },
      expect: {
        rows: [
          {
            symbol: 'BTCUSDT',
            period_start: '2026-11-01 10:00:00+00',
            open: 100,
            high: 120,
            low: 100,
            close: 110,
            ticks: 3,
          },
          {
            symbol: 'BTCUSDT',
            period_start: '2026-11-01 11:00:00+00',
            open: 90,
            high: 90,
            low: 90,
            close: 90,
            ticks: 1,
          },
        ],
        watermark: '2026-11-01T11:05:00.000Z',
      },
    },
  ],
});
