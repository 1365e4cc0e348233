// Domain endpoints over the gold tables, shaped for what users ask: the best odds of each match (and the payout rate
// of backing each outcome at its best price), and the latest price and candles of a coin.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Pool } from '../../core/postgres.ts';
import { apiError } from '../errors.ts';
import { limitOf, limitParam } from '../params.ts';
import { CandleListSchema, CoinListSchema, errorResponses, LatestPriceSchema, MatchListSchema } from '../schemas.ts';

const matchesRoute = createRoute({
  method: 'get',
  path: '/odds/matches',
  operationId: 'bestOdds',
  tags: ['markets'],
  summary: 'Best odds of each match across bookmakers, with the payout rate of backing every outcome at its best price',
  security: [],
  request: {
    query: z.object({
      league: z.string().max(200).optional().openapi({ example: 'Ligue 1' }),
      team: z.string().max(200).optional().openapi({ description: 'Home or away team', example: 'Lyon' }),
      limit: limitParam(1000, 100),
    }),
  },
  responses: {
    200: { description: 'Matches by kick-off', content: { 'application/json': { schema: MatchListSchema } } },
    ...errorResponses(400, 414, 429, 503),
  },
});

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
  tags: ['markets'],
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
  tags: ['markets'],
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
  tags: ['markets'],
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
    ...errorResponses(400, 414, 429, 503),
  },
});

const OUTCOMES = ['1', 'X', '2'] as const;

export function marketsRoutes(pool: Pool): OpenAPIHono {
  const app = new OpenAPIHono();

  app.openapi(matchesRoute, async (c) => {
    const { league, team, limit } = c.req.valid('query');
    const { rows } = await pool.query<{
      league: string;
      home: string;
      away: string;
      match: string;
      kickoff: Date;
      outcomes: { outcome: string; odds: number; bookmaker: string; bookmakers: number }[];
    }>(
      `select league, home, away, match, kickoff,
              json_agg(json_build_object('outcome', outcome, 'odds', best_odds, 'bookmaker', best_bookmaker, 'bookmakers', bookmakers)) as outcomes
         from gold.odds_best_prices
        where ($1::text is null or league = $1) and ($2::text is null or home = $2 or away = $2)
        group by league, home, away, match, kickoff
        order by kickoff, league, match limit ${limitOf(limit, 1000, 100)}`,
      [league ?? null, team ?? null],
    );
    return c.json(
      {
        matches: rows.map((m) => {
          const best = Object.fromEntries(
            m.outcomes.map((o) => [
              o.outcome,
              { odds: Number(o.odds), bookmaker: o.bookmaker, bookmakers: o.bookmakers },
            ]),
          );
          const complete = OUTCOMES.every((o) => best[o]);
          return {
            league: m.league,
            home: m.home,
            away: m.away,
            match: m.match,
            kickoff: m.kickoff.toISOString(),
            best,
            payoutRate: complete
              ? Math.round(10_000 / OUTCOMES.reduce((sum, o) => sum + 1 / best[o]!.odds, 0)) / 10_000
              : null,
          };
        }),
      },
      200,
    );
  });

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
    if (!last)
      apiError(404, `no prices for ${symbol}; GET /v1/tables/crypto_ohlc_minute?fields=symbol lists the coins`);
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
}
