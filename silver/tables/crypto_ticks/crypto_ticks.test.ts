// Given ticks, the rows silver.crypto_ticks appends: one per coin and second, a tick without a known volume dropped,
// a non-positive price quarantined, and a tick sent again later (another price) never replacing the first.
import { tableTest } from '../../../pipeline/table-test.ts';

const tick = (symbol: string, second: string, price: number, volume: number | null = 5000) => ({
  symbol,
  ts: `2026-11-01T10:00:${second}Z`,
  price,
  volume_24h: volume,
});

tableTest({
  table: 'silver.crypto_ticks',
  cases: [
    {
      name: 'appends each coin and second once, drops unknown volumes and quarantines bad prices',
      batches: [
        {
          given: {
            crypto: [
              tick('BTCUSDT', '01', 64000.5),
              tick('ETHUSDT', '01', 3100.25),
              tick('ETHUSDT', '02', 3101, null), // no volume: dropped
              tick('BTCUSDT', '02', 0), // price not positive: quarantined
            ],
          },
          expect: {
            rows: [
              { symbol: 'BTCUSDT', ts: '2026-11-01 10:00:01+00', price: 64000.5, trade_date: '2026-11-01' },
              { symbol: 'ETHUSDT', ts: '2026-11-01 10:00:01+00', price: 3100.25 },
            ],
            quarantine: 1,
          },
        },
        {
          given: { crypto: [tick('BTCUSDT', '01', 1), tick('BTCUSDT', '03', 64010)] },
          expect: {
            rows: [
              { symbol: 'BTCUSDT', ts: '2026-11-01 10:00:01+00', price: 64000.5 },
              { symbol: 'BTCUSDT', ts: '2026-11-01 10:00:03+00', price: 64010 },
              { symbol: 'ETHUSDT', ts: '2026-11-01 10:00:01+00', price: 3100.25 },
            ],
            quarantine: 1,
          },
        },
      ],
    },
  ],
});
