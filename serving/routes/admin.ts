// /v1/admin: actions that change the pipeline, behind an API key: trigger a job run, replay a source's dead letters.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { apiError } from '../errors.ts';
import { errorResponses, JobAcceptedSchema, ReplaySchema } from '../schemas.ts';

export interface JobRequest {
  layer: 'silver' | 'gold';
  select?: string;
  fullRefresh?: boolean;
}

/** What the admin routes do, wired by `pnpm serve` (tests may wire the same real implementations). */
export interface AdminActions {
  /** Who holds the jobs lock, if a run is in progress. */
  jobInProgress(): Promise<string | undefined>;
  /** Starts a job run in its own process; resolves once it is started. */
  startJob(request: JobRequest): Promise<{ pid: number; command: string; log: string }>;
  sources: readonly string[];
  replayDeadLetters(source: string, limit?: number): Promise<z.infer<typeof ReplaySchema>>;
}

const security = [{ apiKey: [] }];

const jobRoute = createRoute({
  method: 'post',
  path: '/jobs',
  operationId: 'startJob',
  tags: ['admin'],
  summary: 'Start a silver or gold job run (as `pnpm job:<layer>` would); follow it in GET /v1/runs',
  security,
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .object({
              layer: z.enum(['silver', 'gold']),
              select: z
                .string()
                .regex(
                  /^\+?\w+\+?(,\+?\w+\+?)*$/,
                  'table names, comma-separated, each optionally with a leading or trailing +',
                )
                .max(2000)
                .optional()
                .openapi({ example: 'shop_orders+' }),
              fullRefresh: z.boolean().optional(),
            })
            .strict(),
        },
      },
    },
  },
  responses: {
    202: { description: 'The run started', content: { 'application/json': { schema: JobAcceptedSchema } } },
    ...errorResponses(400, 401, 403, 409, 413, 414, 415, 429),
  },
});

const replayRoute = createRoute({
  method: 'post',
  path: '/dead-letters/{source}/replay',
  operationId: 'replayDeadLetters',
  tags: ['admin'],
  summary: "Parse a source's dead letters again; those that parse now go to the stream, the rest stay",
  security,
  request: {
    params: z.object({
      source: z
        .string()
        .regex(/^[\w-]{1,64}$/)
        .openapi({ param: { name: 'source', in: 'path' }, example: 'shop_orders' }),
    }),
    query: z.object({
      limit: z
        .string()
        .regex(/^\d{1,7}$/, 'an integer')
        .optional()
        .openapi({ description: 'Dead letters to examine at most (default all)', example: '1000' }),
    }),
  },
  responses: {
    200: { description: 'What the replay did', content: { 'application/json': { schema: ReplaySchema } } },
    ...errorResponses(400, 401, 403, 404, 414, 429, 503),
  },
});

export function adminRoutes(actions: AdminActions | undefined): OpenAPIHono {
  const app = new OpenAPIHono();
  const wired = () => actions ?? apiError(503, 'admin actions are not wired in this process; run `pnpm serve`');

  app.openapi(jobRoute, async (c) => {
    const admin = wired();
    const holder = await admin.jobInProgress();
    if (holder)
      apiError(
        409,
        `a job run is in progress (${holder}); jobs run one at a time, try again when it ends (GET /v1/runs?status=running)`,
      );
    const request = c.req.valid('json');
    const started = await admin.startJob(request);
    return c.json({ status: 'started' as const, ...started, runs: `/v1/runs?kind=job:${request.layer}` }, 202);
  });

  app.openapi(replayRoute, async (c) => {
    const admin = wired();
    const { source } = c.req.valid('param');
    if (!admin.sources.includes(source)) apiError(404, `no source "${source}"; sources: ${admin.sources.join(', ')}`);
    const { limit } = c.req.valid('query');
    return c.json(await admin.replayDeadLetters(source, limit === undefined ? undefined : Number(limit)), 200);
  });

  return app;
}
