// GET /v1/events: server-sent events for live pages. Each gold load (a swap in PostgreSQL) is announced as a
// `gold-loaded` event with the table and its snapshot; a `resync` event asks clients to re-read everything.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { ClientSlots } from '../client-slots.ts';
import { apiError } from '../errors.ts';
import type { LiveFeed, LiveListener } from '../live-feed.ts';
import { errorResponses } from '../schemas.ts';

export const MAX_SUBSCRIBERS = 1000;
const KEEP_ALIVE_MILLIS = 15_000;
const MAX_QUEUED_EVENTS = 1000;

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

export interface LiveLimits {
  /** Event streams one client may hold at once. */
  perClient: number;
  clientOf: (c: Context) => string;
}

export function liveRoutes(feed: LiveFeed | undefined, limits: LiveLimits): OpenAPIHono {
  const app = new OpenAPIHono();
  const slots = new ClientSlots(MAX_SUBSCRIBERS, limits.perClient);
  app.openapi(eventsRoute, (c) => {
    if (!feed) apiError(503, 'live events are not wired in this process; run `pnpm serve`');
    const release = slots.take(limits.clientOf(c));
    if (release === 'full')
      apiError(429, `${MAX_SUBSCRIBERS} live subscribers already; retry later`, 'subscribers_full', {
        'Retry-After': '15',
      });
    if (release === 'client')
      apiError(429, `at most ${limits.perClient} live event streams per client`, 'rate_limited', {
        'Retry-After': '15',
      });
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
        // A client that reads nothing while events pile up is let go (it reconnects and is told to resync).
        if (queue.length >= MAX_QUEUED_EVENTS) return void stream.abort();
        queue.push(event);
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        unsubscribe();
        release();
        wake?.();
      });
      let id = 0;
      try {
        await streamEvents();
      } finally {
        unsubscribe();
        release();
      }
      async function streamEvents() {
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
      }
    }) as never;
  });
  return app;
}
