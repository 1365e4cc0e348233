// The Strata API as a Hono app: one sub-app per resource, one error handler. Tests call app.request() directly.
import { Hono } from 'hono';
import type { Pool } from '../core/postgres.ts';
import { apiError, onError } from './errors.ts';
import { tablesRoutes } from './routes/tables.ts';

export interface AppDependencies {
  pool: Pool;
}

export function createApp({ pool }: AppDependencies): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok', service: 'strata' }));
  app.route('/v1/tables', tablesRoutes(pool));
  app.notFound(() => apiError(404, 'no such endpoint; try GET /v1/tables'));
  app.onError(onError);
  return app;
}
