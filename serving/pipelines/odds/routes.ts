// The odds example's API: the best odds of each match across bookmakers, and the payout rate of backing every outcome
// at its best price (gold.odds_best_prices).
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Pool } from '../../../core/postgres.ts';
import { limitOf, limitParam } from '../../params.ts';
import { errorResponses, int } from '../../schemas.ts';
import type { PipelineRoutes } from '../index.ts';

const BestSchema = z.object({
  odds: z.number(),
  bookmaker: z.string(),
  bookmakers: int().openapi({ description: 'Bookmakers quoting the outcome' }),
});

export const MatchListSchema = z
  .object({
    matches: z.array(
      z.object({
        league: z.string(),
        home: z.string(),
        away: z.string(),
        match: z.string(),
        kickoff: z.string(),
        best: z
          .record(z.string(), BestSchema)
          .openapi({ description: 'Best price per outcome: 1 (home), X (draw), 2 (away)' }),
        payoutRate: z
          .number()
          .nullable()
          .openapi({ description: '1 / (1/best1 + 1/bestX + 1/best2): above 1 is a sure bet', example: 0.9412 }),
      }),
    ),
  })
  .openapi('MatchList');

const matchesRoute = createRoute({
  method: 'get',
  path: '/odds/matches',
  operationId: 'bestOdds',
  tags: ['odds'],
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

const OUTCOMES = ['1', 'X', '2'] as const;

export const routes: PipelineRoutes = {
  tag: { name: 'odds', description: 'Best odds of each match and the payout rate' },
  mount(pool: Pool) {
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

    return app;
  },
};
