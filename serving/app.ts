// The Strata API as a Hono app: one sub-app per resource, one error handler, and an OpenAPI 3.1 document generated
// from the routes' zod schemas. Tests call app.request() directly.
import type { KeyRing } from '../core/sensitive.ts';
import { masked, revealed } from './sensitive-values.ts';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Redis } from 'ioredis';
import type { Pool } from '../core/postgres.ts';
import type { ObjectStore } from '../lake/storage/object-store.ts';
import { bodyLimit } from 'hono/body-limit';
import { ClientSlots } from './client-slots.ts';
import { cors } from 'hono/cors';
import { dashboardRoutes } from './dashboard/dashboard-routes.ts';
import { docsPage, type DocsDocument } from './docs-page.ts';
import { GoldCatalog } from './gold-catalog.ts';
import type { LiveFeed } from './live-feed.ts';
import { createMetrics } from './metrics.ts';
import { adminRoutes, type AdminActions } from './routes/admin.ts';
import { icebergRoutes, type S3Settings } from './routes/iceberg.ts';
import { lakeRoutes } from './routes/lake.ts';
import { liveRoutes } from './routes/live.ts';
import { operationsRoutes } from './routes/operations.ts';
import { PIPELINE_ROUTES } from './pipelines/index.ts';
import { clientAddress, parseApiKeys, rateLimit, ReadPolicy } from './security.ts';
import { redactError } from './redact.ts';
import { apiError, onError, validationHook } from './errors.ts';
import { tablesRoutes } from './routes/tables.ts';
import { errorResponses, HealthSchema, MAX_URL_BYTES, ReadySchema } from './schemas.ts';

export interface ApiSettings {
  /** STRATA_API_KEYS entries: `<key>` (admin) or `<key>@<scope>+<scope>`. */
  keys: readonly string[];
  /** STRATA_API_READ: whether reads need a key. */
  read: 'open' | 'key';
  rateLimitPerMinute: number;
  trustProxy: boolean;
  corsOrigins: readonly string[];
  maxBodyBytes: number;
  /** Streamed csv/ndjson exports at once (each holds a connection of the export pool), and per client. */
  maxExports: number;
  exportsPerClient: number;
  /** An export whose client takes nothing for this long is closed. */
  exportStallSeconds: number;
  /** Live event streams (/v1/events) one client may hold. */
  eventsPerClient: number;
}

export interface AppDependencies {
  pool: Pool;
  /** Connections for streamed exports, apart from `pool` so exports cannot starve other requests (default: `pool`). */
  exportPool?: Pool;
  /** Checked by /readyz and read by /v1/streams when given. */
  redis?: Redis;
  store?: ObjectStore;
  redisPrefix?: string;
  /** Security settings (default: config().api's defaults: no keys, 1200 requests a minute, no CORS, 64 KiB bodies). */
  settings?: Partial<ApiSettings>;
  admin?: AdminActions;
  /** Gold-load notifications for /v1/events (and to refresh the table catalog at once). */
  live?: LiveFeed;
  /** Decrypts sensitive values for keys with read:sensitive (without it, they see the ciphertext). */
  keyRing?: KeyRing;
  /** S3 settings /iceberg hands engines for an s3:// lake (never credentials). */
  s3?: S3Settings;
}

export const DEFAULT_SETTINGS: ApiSettings = {
  keys: [],
  read: 'open',
  rateLimitPerMinute: 1200,
  trustProxy: false,
  corsOrigins: [],
  maxBodyBytes: 64 * 1024,
  maxExports: 4,
  exportsPerClient: 2,
  exportStallSeconds: 30,
  eventsPerClient: 10,
};

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  operationId: 'health',
  tags: ['operations'],
  summary: 'The process is up',
  security: [],
  responses: {
    200: { description: 'Always, while the process serves', content: { 'application/json': { schema: HealthSchema } } },
    ...errorResponses(414),
  },
});

const readyRoute = createRoute({
  method: 'get',
  path: '/readyz',
  operationId: 'ready',
  tags: ['operations'],
  summary: 'PostgreSQL, Redis and the lake storage are reachable',
  responses: {
    200: { description: 'Every backing service answered', content: { 'application/json': { schema: ReadySchema } } },
    503: {
      description: 'At least one backing service did not answer',
      content: { 'application/json': { schema: ReadySchema } },
    },
    ...errorResponses(414),
  },
  security: [],
});

const metricsRoute = createRoute({
  method: 'get',
  path: '/metrics',
  operationId: 'metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics: requests, runs, streams, lake size and gold freshness',
  security: [],
  responses: {
    200: {
      description: 'The Prometheus text exposition format',
      content: {
        'text/plain': { schema: z.string().openapi({ example: 'strata_stream_backlog{source="shop_orders"} 0' }) },
      },
    },
    ...errorResponses(414, 429),
  },
});

export const API_INFO = {
  title: 'Strata API',
  version: '0.1.0',
  description: "Gold tables of the Strata lakehouse, served from PostgreSQL, and the pipeline's operations.",
  license: { name: 'Proprietary', identifier: 'LicenseRef-Strata' },
};

export function createApp({
  pool,
  exportPool = pool,
  redis,
  store,
  redisPrefix = 'strata',
  settings,
  admin,
  live,
  keyRing,
  s3,
}: AppDependencies): OpenAPIHono {
  const options = { ...DEFAULT_SETTINGS, ...settings };
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const gold = new GoldCatalog(pool);
  live?.subscribe(() => gold.invalidate()); // a load may have changed a table's columns
  const metrics = createMetrics(pool, redis, redisPrefix);

  app.use(metrics.middleware);
  // HEAD answers as GET without the body (Hono's own), with the Content-Length GET would have; streams have none.
  app.use(async (c, next) => {
    await next();
    if (c.req.method !== 'HEAD' || c.res.headers.has('content-length') || !c.res.body) return;
    // A stream's body is never sent: closing it frees what it holds (an export's connection) at once.
    if (/event-stream|csv|ndjson/.test(c.res.headers.get('content-type') ?? ''))
      return void (await c.res.body.cancel());
    const length = (await c.res.clone().arrayBuffer()).byteLength;
    c.res.headers.set('content-length', String(length));
  });
  app.use(async (c, next) => {
    if (Buffer.byteLength(c.req.url) > MAX_URL_BYTES)
      apiError(414, `the URL is longer than ${MAX_URL_BYTES} bytes; use fewer or shorter filters`);
    const query = c.req.url.split('?')[1];
    if (query && !wellEncoded(query))
      apiError(400, 'the query string has broken percent-encoding (% must start two hex digits of UTF-8)');
    await next();
  });
  if (options.corsOrigins.length) {
    app.use(
      '/v1/*',
      cors({
        origin: options.corsOrigins.includes('*') ? '*' : [...options.corsOrigins],
        allowHeaders: ['Authorization', 'Content-Type'],
        exposeHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining'],
        maxAge: 600,
      }),
    );
  }
  const clientOf = clientAddress(options.trustProxy);
  const { keys, problems } = parseApiKeys(options.keys);
  if (problems.length) throw new Error(`STRATA_API_KEYS: ${problems.join('; ')}`);
  const policy = new ReadPolicy(keys, options.read);
  const clear = revealed(keyRing);
  const seesErrors = policy.holdsKey.bind(policy);
  // Every route, the dashboard, /metrics and /docs included: none is free to serve.
  app.use(rateLimit({ requestsPerMinute: options.rateLimitPerMinute, clientOf }));
  app.use(
    '/v1/admin/*',
    bodyLimit({
      maxSize: options.maxBodyBytes,
      onError: () => apiError(413, `the body is larger than ${options.maxBodyBytes} bytes`),
    }),
  );
  app.use('/v1/admin/*', policy.adminOnly());
  // Reads by scope (docs/api.md): a table by its name, a pipeline's routes by the pipeline's, the rest as operations.
  app.use('/v1/*', async (c, next) => {
    const [, , segment = '', name] = c.req.path.split('/');
    if (segment === 'admin') return next();
    const reader = policy.readerOf(c);
    if (segment === 'tables') {
      if (name) policy.require(reader, policy.mayRead(reader, safeDecode(name)), `read:${safeDecode(name)}`);
      else policy.require(reader, reader.key || policy.mode === 'open', 'read:<table>');
    } else if (OPERATIONS.has(segment)) policy.require(reader, policy.mayOperate(reader), 'read:operations');
    else policy.require(reader, policy.mayRead(reader, segment), `read:${segment}`);
    return next();
  });
  // The Iceberg REST catalog names every layer's files: it is read as a whole, with read:iceberg (or read:*).
  app.use('/iceberg/*', async (c, next) => {
    const reader = policy.readerOf(c);
    policy.require(reader, policy.mayRead(reader, 'iceberg'), 'read:iceberg');
    return next();
  });
  app.use('/metrics', async (c, next) => {
    const reader = policy.readerOf(c);
    policy.require(reader, policy.mayOperate(reader), 'read:operations');
    return next();
  });

  app.openapi(healthRoute, (c) => c.json({ status: 'ok' as const, service: 'strata' as const }, 200));
  app.openapi(readyRoute, async (c) => {
    const checks: Record<string, { ok: boolean; error?: string }> = {};
    const probe = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await Promise.race([
          fn(),
          new Promise((_, reject) => setTimeout(() => reject(new Error('no answer within 2 s')), 2000)),
        ]);
        checks[name] = { ok: true };
      } catch (error) {
        const message = (error as Error).message;
        checks[name] = { ok: false, error: seesErrors(c) ? message : redactError(message) };
      }
    };
    await Promise.all([
      probe('postgres', () => pool.query('select 1')),
      ...(redis ? [probe('redis', () => redis.ping())] : []),
      ...(store ? [probe('storage', () => store.head('.strata-readyz'))] : []),
    ]);
    const ok = Object.values(checks).every((check) => check.ok);
    return ok
      ? c.json({ status: 'ready' as const, checks }, 200)
      : c.json({ status: 'unavailable' as const, checks }, 503);
  });
  app.openapi(
    metricsRoute,
    async (c) => c.body(await metrics.render(), 200, { 'content-type': metrics.registry.contentType }) as never,
  );

  app.route(
    '/v1/tables',
    tablesRoutes(
      pool,
      gold,
      {
        pool: exportPool,
        slots: new ClientSlots(options.maxExports, options.exportsPerClient),
        stallMillis: options.exportStallSeconds * 1000,
        clientOf,
      },
      (c, table) => policy.mayRead(policy.readerOf(c), table),
      (c) => (policy.maySeeSensitive(policy.readerOf(c)) ? clear : masked),
    ),
  );
  for (const pipeline of Object.values(PIPELINE_ROUTES)) app.route('/v1', pipeline.mount(pool));
  app.route('/v1', operationsRoutes(pool, redis, redisPrefix, seesErrors));
  app.route('/v1/lake', lakeRoutes(pool));
  app.route('/iceberg', icebergRoutes(pool, store, s3));
  app.route('/v1', liveRoutes(live, { perClient: options.eventsPerClient, clientOf }));
  app.route('/v1/admin', adminRoutes(admin));

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description:
      "One of the keys in STRATA_API_KEYS, as `Authorization: Bearer <key>`: admin routes need the scope admin; reads need a key with the route's scope when STRATA_API_READ=key (docs/api.md)",
  });
  const document = { openapi: '3.1.0', info: API_INFO, servers: [{ url: '/' }], tags: TAGS };
  app.doc31('/openapi.json', document);
  app.get('/docs', (c) => c.html(docsPage(app.getOpenAPI31Document(document) as unknown as DocsDocument)));
  app.route('/', dashboardRoutes());
  const allowed = methodsByPath(app);
  app.notFound((c) => {
    // A path that exists under other methods answers 405 with them in Allow, as HTTP asks.
    const methods = allowed(c.req.path);
    if (methods.length)
      apiError(405, `${c.req.method} is not allowed here; use ${methods.join(' or ')}`, 'method_not_allowed', {
        Allow: methods.join(', '),
      });
    apiError(404, 'no such endpoint; see GET /docs or /openapi.json');
  });
  app.onError(onError);
  return app;
}

/** The /v1 routes read as operations (scope read:operations); tables and pipelines are read by name. */
const OPERATIONS = new Set(['runs', 'quality', 'streams', 'lake', 'events', 'logs']);

const safeDecode = (text: string) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
};

const TAGS = [
  { name: 'tables', description: 'Gold tables, filtered, paged and exported' },
  ...Object.values(PIPELINE_ROUTES).map((p) => p.tag),
  { name: 'operations', description: 'Health, runs, quality and streams' },
  { name: 'lake', description: "The lake's tables, partitions and files" },
  { name: 'live', description: 'Server-sent events' },
  { name: 'admin', description: 'Actions that need an API key' },
];

/** The methods each route of the app answers, as a lookup by request path (HEAD wherever GET is). */
function methodsByPath(app: OpenAPIHono): (path: string) => string[] {
  const routes = app.routes
    .filter((r) => r.method !== 'ALL')
    .map((r) => ({
      method: r.method,
      pattern: new RegExp(
        `^${r.path
          .split('/')
          .map((part) =>
            part.startsWith(':') ? '[^/]+' : part === '*' ? '.*' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
          )
          .join('/')}$`,
      ),
    }));
  return (path) => {
    const methods = new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}

/** Whether every %-escape of a query string is two hex digits and every decoded part valid UTF-8. */
function wellEncoded(query: string): boolean {
  if (/%(?![0-9a-f]{2})/i.test(query)) return false;
  try {
    for (const part of query.split(/[&=]/)) decodeURIComponent(part.replace(/\+/g, ' '));
    return true;
  } catch {
    return false;
  }
}
