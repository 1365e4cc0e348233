// GET /v1/events: server-sent events for live pages. Each gold load (a swap in PostgreSQL) is announced as a
// `gold-loaded` event with the table and its snapshot; a `resync` event asks clients to re-read everything.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { apiError } from '../errors.ts';
import type { LiveFeed, LiveListener } from '../live-feed.ts';
import { errorResponses } from '../schemas.ts';

export const MAX_SUBSCRIBERS = 1000;
const KEEP_ALIVE_MILLIS = 15_000;

const eventsRoute = createRoute({
  method: 'get',
  path: '/events',
  operationId: 'events',
  tags: ['live'],
  summary:
    'Server-sent events: `gold-loaded` ({ table, snapshotId }) after each gold load, `resync` after a lost connection',
  security: [],
  request: {
    query: z.object({
      tables: z.string().max(2000).optional().openapi({
        description: 'Comma-separated gold tables to hear about (default all)',
        example: 'shop_totals',
      }),
    }),
  },
  responses: {
    200: {
      description: 'An event stream',
      content: {
        'text/event-stream': {
          schema: z
            .string()
            .openapi({ example: 'event: gold-loaded\ndata: {"table":"shop_totals","snapshotId":42}\n\n' }),
        },
      },
    },
    ...errorResponses(414, 429, 503),
  },
});

export function liveRoutes(feed: LiveFeed | undefined): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(eventsRoute, (c) => {
    if (!feed) apiError(503, 'live events are not wired in this process; run `pnpm serve`');
    if (feed.subscribers >= MAX_SUBSCRIBERS)
      apiError(503, `more than ${MAX_SUBSCRIBERS} live subscribers; retry later`);
    const wanted = c.req
      .valid('query')
      .tables?.split(',')
      .map((t) => t.trim())
      .filter(Boolean);
    return streamSSE(c, async (stream) => {
      const queue: Parameters<LiveListener>[0][] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = feed.subscribe((event) => {
        if (event.type === 'gold-loaded' && wanted?.length && !wanted.includes(event.data.table)) return;
        queue.push(event);
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        unsubscribe();
        wake?.();
      });
      let id = 0;
      await stream.writeSSE({ event: 'ready', data: '{}', retry: 3000 });
      while (open) {
        const event = queue.shift();
        if (event) {
          await stream.writeSSE({ event: event.type, data: JSON.stringify(event.data), id: String(++id) });
          continue;
        }
        const idle = await new Promise<boolean>((resolve) => {
          const timer = setTimeout(() => resolve(true), KEEP_ALIVE_MILLIS);
          wake = () => {
            clearTimeout(timer);
            resolve(false);
          };
        });
        wake = undefined;
        if (idle && open) await stream.write(': keep-alive\n\n');
      }
    }) as never;
  });
  return app;
}
