// The candles tests expect, computed by the tests themselves from the ticks they send.
import assert from 'node:assert/strict';

export type Tick = { symbol: string; ts: string; price: number };

export interface Candle {
  symbol: string;
  period_start: string;
  period_end: string;
  open: number;
  open_at: string;
  high: number;
  low: number;
  close: number;
  close_at: string;
  ticks: number;
}

/**
 * Tests' own event-time windows over micro-batches: the first tick of a key wins (silver), and a tick whose window
 * ended at or before the watermark (latest event time of the earlier batches minus `latenessMillis`) is late.
 */
export function eventTimeWindows(batches: Tick[][], sizeMillis: number, latenessMillis: number) {
  const windows = new Map<string, Candle>();
  const seen = new Set<string>();
  const late: Tick[] = [];
  let latest: number | undefined;
  for (const batch of batches) {
    const watermark = latest === undefined ? undefined : latest - latenessMillis;
    for (const tick of batch) {
      if (seen.has(`${tick.symbol}|${tick.ts}`)) continue;
      seen.add(`${tick.symbol}|${tick.ts}`);
      const at = Date.parse(tick.ts);
      const start = Math.floor(at / sizeMillis) * sizeMillis;
      if (watermark !== undefined && start + sizeMillis <= watermark) {
        late.push(tick);
        continue;
      }
      latest = Math.max(latest ?? at, at);
      const key = `${tick.symbol}|${start}`;
      const w = windows.get(key);
      if (!w) {
        windows.set(key, {
          symbol: tick.symbol,
          period_start: new Date(start).toISOString(),
          period_end: new Date(start + sizeMillis).toISOString(),
          open: tick.price,
          open_at: tick.ts,
          high: tick.price,
          low: tick.price,
          close: tick.price,
          close_at: tick.ts,
          ticks: 1,
        });
        continue;
      }
      if (at < Date.parse(w.open_at)) Object.assign(w, { open: tick.price, open_at: tick.ts });
      if (at > Date.parse(w.close_at)) Object.assign(w, { close: tick.price, close_at: tick.ts });
      Object.assign(w, { high: Math.max(w.high, tick.price), low: Math.min(w.low, tick.price), ticks: w.ticks + 1 });
    }
  }
  const candles = [...windows.values()].sort(
    (a, b) => a.symbol.localeCompare(b.symbol) || a.period_start.localeCompare(b.period_start),
  );
  return { candles, late: late.map((x) => `${x.symbol} ${x.ts}`).sort() };
}

/** The candles of one batch of ticks (no tick is late), in the columns PostgreSQL serves, ordered by coin and period. */
export const plainCandles = (ticks: Tick[], sizeMillis: number) =>
  eventTimeWindows([ticks], sizeMillis, 0).candles.map(
    ({ symbol, period_start, open, high, low, close, ticks: n }) => ({
      symbol,
      period_start,
      open,
      high,
      low,
      close,
      ticks: n,
    }),
  );

/** A gold candle table as PostgreSQL serves it, in the shape of plainCandles. */
export async function servedCandles(
  pool: { query: (sql: string) => Promise<{ rows: Record<string, unknown>[] }> },
  table: string,
) {
  const { rows } = await pool.query(
    `select symbol, period_start, open, high, low, close, ticks from gold.${table} order by symbol, period_start`,
  );
  return rows.map((r) => ({ ...r, period_start: (r.period_start as Date).toISOString(), ticks: Number(r.ticks) }));
}

/** Both candle tables PostgreSQL serves equal the plain candles of the ticks, every candle exact. */
export async function assertServedCandles(pool: Parameters<typeof servedCandles>[0], ticks: Tick[], label: string) {
  for (const [table, size] of [
    ['crypto_ohlc_minute', 60_000],
    ['crypto_ohlc_hour', 3_600_000],
  ] as const) {
    assert.deepEqual(await servedCandles(pool, table), plainCandles(ticks, size), `${table} ${label}`);
  }
}
