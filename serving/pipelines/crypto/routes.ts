// The crypto example's API: the latest price of each coin and a coin's minute or hour candles
// (gold.crypto_ohlc_minute, gold.crypto_ohlc_hour).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Pool } from '../../../core/postgres.ts';
import { apiError } from '../../errors.ts';
import { limitOf, limitParam } from '../../params.ts';
import { errorResponses, int } from '../../schemas.ts';
import type { PipelineRoutes } from '../index.ts';

export const LatestPriceSchema = z
  .object({
    symbol: z.string().openapi({ example: 'BTCUSDT' }),
    price: z.number(),
    minute: z.string().openapi({ description: 'Start of the minute whose close this is' }),
    at: z.string().openapi({ description: "Time of the tick whose price this is (the minute's last tick)" }),
  })
  .openapi('LatestPrice');

export const CoinListSchema = z.object({ coins: z.array(LatestPriceSchema) }).openapi('CoinList');

export const CandleListSchema = z
  .object({
    symbol: z.string(),
    grain: z.enum(['minute', 'hour']),
    candles: z.array(
      z.object({
        start: z.string(),
        open: z.number(),
        high: z.number(),
        low: z.number(),
        close: z.number(),
        ticks: int(),
      }),
    ),
  })
  .openapi('CandleList');

const symbolParam = z.object({
  symbol: z
    .string()
    .regex(/^[A-Z0-9]{2,20}$/, 'a trading pair in capitals, e.g. BTCUSDT')
    .openapi({ param: { name: 'symbol', in: 'path' }, example: 'BTCUSDT' }),
});

const coinsRoute = createRoute({
  method: 'get',
  path: '/crypto',
  operationId: 'coins',
  tags: ['crypto'],
  summary: 'Every coin with its latest price',
  security: [],
  responses: {
    200: { description: 'Coins by symbol', content: { 'application/json': { schema: CoinListSchema } } },
    ...errorResponses(414, 429, 503),
  },
});

const latestRoute = createRoute({
  method: 'get',
  path: '/crypto/{symbol}/latest',
  operationId: 'latestPrice',
  tags: ['crypto'],
  summary: 'The latest price of a coin: the close of its last one-minute candle',
  security: [],
  request: { params: symbolParam },
  responses: {
    200: { description: 'The latest price', content: { 'application/json': { schema: LatestPriceSchema } } },
    ...errorResponses(400, 404, 414, 429, 503),
  },
});

const candlesRoute = createRoute({
  method: 'get',
  path: '/crypto/{symbol}/candles',
  operationId: 'candles',
  tags: ['crypto'],
  summary: 'The latest OHLC candles of a coin, oldest first',
  security: [],
  request: {
    params: symbolParam,
    query: z.object({
      grain: z.enum(['minute', 'hour']).optional().openapi({ example: 'minute' }),
      limit: limitParam(1440, 60),
    }),
  },
  responses: {
    200: { description: 'Candles, oldest first', content: { 'application/json': { schema: CandleListSchema } } },
    ...errorResponses(400, 404, 414, 429, 503),
  },
});

const noPrices = (symbol: string) => `no prices for ${symbol}; GET /v1/crypto lists the coins that have some`;

export const routes: PipelineRoutes = {
  tag: { name: 'crypto', description: 'Latest coin prices and candles' },
  mount(pool: Pool) {
    const app = new OpenAPIHono();
    app.openapi(coinsRoute, async (c) => {
      const { rows } = await pool.query<{ symbol: string; period_start: Date; close: number; close_at: Date }>(
        'select distinct on (symbol) symbol, period_start, close, close_at from gold.crypto_ohlc_minute order by symbol, period_start desc',
      );
      return c.json(
        {
          coins: rows.map((r) => ({
            symbol: r.symbol,
            price: Number(r.close),
            minute: r.period_start.toISOString(),
            at: r.close_at.toISOString(),
          })),
        },
        200,
      );
    });

    app.openapi(latestRoute, async (c) => {
      const { symbol } = c.req.valid('param');
      const { rows } = await pool.query<{ period_start: Date; close: number; close_at: Date }>(
        'select period_start, close, close_at from gold.crypto_ohlc_minute where symbol = $1 order by period_start desc limit 1',
        [symbol],
      );
      const last = rows[0];
      if (!last) apiError(404, noPrices(symbol));
      return c.json(
        { symbol, price: Number(last.close), minute: last.period_start.toISOString(), at: last.close_at.toISOString() },
        200,
      );
    });

    app.openapi(candlesRoute, async (c) => {
      const { symbol } = c.req.valid('param');
      const { grain = 'minute', limit } = c.req.valid('query');
      const table = grain === 'hour' ? 'crypto_ohlc_hour' : 'crypto_ohlc_minute';
      const { rows } = await pool.query<{
        period_start: Date;
        open: number;
        high: number;
        low: number;
        close: number;
        ticks: number;
      }>(
        `select * from (select period_start, open, high, low, close, ticks from gold.${table} where symbol = $1 order by period_start desc limit ${limitOf(limit, 1440, 60)}) as last order by period_start`,
        [symbol],
      );
      if (!rows.length) apiError(404, noPrices(symbol));
      return c.json(
        {
          symbol,
          grain,
          candles: rows.map((r) => ({
            start: r.period_start.toISOString(),
            open: Number(r.open),
            high: Number(r.high),
            low: Number(r.low),
            close: Number(r.close),
            ticks: Number(r.ticks),
          })),
        },
        200,
      );
    });

    return app;
  },
};
