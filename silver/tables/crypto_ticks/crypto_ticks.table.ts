// Silver `crypto_ticks`: typed ticks; a tick never changes, so new ones are appended (by `pnpm stream` in micro-batches).
import type { TableSpec } from '../../../jobs/table-spec.ts';

export default {
  name: 'crypto_ticks',
  layer: 'silver',
  description: 'Price ticks per coin and second (USDT), appended as they arrive.',
  from: ['bronze.crypto'],
  primaryKey: ['symbol', 'ts'],
  writeMode: 'append',
  streaming: true,
  partitionBy: 'trade_date',
  expectations: {
    price_positive: { check: 'price > 0', action: 'quarantine' },
    volume_known: { check: 'volume_24h >= 0', action: 'drop' },
  },
  columns: {
    symbol: 'Trading pair, e.g. BTCUSDT',
    ts: 'Tick time (UTC)',
    trade_date: 'UTC date of ts (the partition)',
    price: 'Last price in USDT',
    volume_24h: 'Traded volume over the last 24 h',
    event_id: 'Envelope id of the bronze event',
  },
} satisfies TableSpec;
