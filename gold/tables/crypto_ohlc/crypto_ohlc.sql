-- The ticks a candle is made of; the window table (crypto_ohlc.table.ts) groups them per coin into tumbling
-- event-time windows: open is the window's first tick, close its last, and a late tick updates its window until the
-- watermark closes it.
select symbol, ts, price
from silver.crypto_ticks
