// The Strata API as a Hono app: one sub-app per resource, one error handler, and an OpenAPI 3.1 document generated
// from the routes' zod schemas. Tests call app.request() directly.
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Redis } from 'ioredis';
import type { Pool } from '../core/postgres.ts';
import type { ObjectStore } from '../core/storage/object-store.ts';
import { docsPage, type DocsDocument } from './docs-page.ts';
import { apiError, onError, validationHook } from './errors.ts';
import { tablesRoutes } from './routes/tables.ts';
import { errorResponses, HealthSchema, MAX_URL_BYTES, ReadySchema } from './schemas.ts';

export interface AppDependencies {
  pool: Pool;
  /** Checked by /readyz when given. */
  redis?: Redis;
  store?: ObjectStore;
}

const healthRoute = createRoute({
  method: 'get', path: '/healthz', operationId: 'health', tags: ['operations'], summary: 'The process is up',
  security: [],
  responses: { 200: { description: 'Always, while the process serves', content: { 'application/json': { schema: HealthSchema } } }, ...errorResponses(414) },
});

const readyRoute = createRoute({
  method: 'get', path: '/readyz', operationId: 'ready', tags: ['operations'], summary: 'PostgreSQL, Redis and the lake storage are reachable',
  responses: {
    200: { description: 'Every backing service answered', content: { 'application/json': { schema: ReadySchema } } },
    503: { description: 'At least one backing service did not answer', content: { 'application/json': { schema: ReadySchema } } },
    ...errorResponses(414),
  },
  security: [],
});

export const API_INFO = {
  title: 'Strata API',
  version: '0.1.0',
  description: 'Gold tables of the Strata lakehouse, served from PostgreSQL, and the pipeline\'s operations.',
  license: { name: 'Proprietary', identifier: 'LicenseRef-Strata' },
};

export function createApp({ pool, redis, store }: AppDependencies): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(async (c, next) => {
    if (Buffer.byteLength(c.req.url) > MAX_URL_BYTES) apiError(414, `the URL is longer than ${MAX_URL_BYTES} bytes; use fewer or shorter filters`);
    await next();
  });
  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const, service: 'strata' as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    const probe = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await Promise.race([fn(), new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000))]);
        checks[name] = { ok: true };
      } catch (error) {
        checks[name] = { ok: false, error: (error as Error).message };
      }
    };
    await Promise.all([
      probe('postgres', () => pool.query('select 1')),
      ...(redis ? [probe('redis', () => redis.ping())] : []),
      ...(store ? [probe('storage', () => store.head('.strata-readyz'))] : []),
    ]);
    const ok = Object.values(checks).every((check) => check.ok);
    return ok ? c.json({ status: 'ready' as const, checks }, 200) : c.json({ status: 'unavailable' as const, checks }, 503);
  });
  app.route('/v1/tables', tablesRoutes(pool));
  app.doc31('/openapi.json', { openapi: '3.1.0', info: API_INFO, servers: [{ url: '/' }], tags: [{ name: 'tables', description: 'Gold tables' }, { name: 'operations', description: 'Health and readiness' }] });
  app.get('/docs', (c) => c.html(docsPage(app.getOpenAPI31Document({ openapi: '3.1.0', info: API_INFO }) as unknown as DocsDocument)));
  app.notFound(() => apiError(404, 'no such endpoint; see GET /docs or /openapi.json'));
  app.onError(onError);
  return app;
}

