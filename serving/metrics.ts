// GET /metrics in Prometheus' text format: the API's own requests, and the pipeline's state read at scrape time
// (stream backlog and lag, dead letters, last run of each task, gold freshness, lake size per layer).
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes, routePath } from 'hono/route';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Pool } from '../core/postgres.ts';
import { CatalogReadModel } from '../lake/catalog/read-model.ts';
import { streamStats } from './stream-stats.ts';

export interface Metrics {
  registry: Registry;
  /** Counts and times every request, labelled by route pattern (never by raw path: bounded cardinality). */
  middleware: MiddlewareHandler;
  /** Reads the pipeline's state, then renders every metric in Prometheus' text format. */
  render(): Promise<string>;
}

export function createMetrics(pool: Pool, redis: Redis | undefined, redisPrefix: string): Metrics {
  const catalog = new CatalogReadModel(pool);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'strata_api_' });
  const requests = new Counter({
    name: 'strata_http_requests_total',
    help: 'HTTP requests answered',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'strata_http_request_duration_seconds',
    help: 'Time to answer (to the first byte of a streamed body)',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });

  const gauge = (name: string, help: string, labelNames: string[]) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const backlog = gauge('strata_stream_backlog', 'Entries the bronze writer has not acknowledged', ['source']);
  const lag = gauge('strata_stream_lag_seconds', 'Age of the oldest unacknowledged entry', ['source']);
  const deadLetters = gauge(
    'strata_stream_dead_letters',
    'Dead letters of the source still in Redis (committed ones are in bronze.<source>__dead_letters)',
    ['source'],
  );
  const lastRunOk = gauge('strata_run_last_success', '1 if the last finished run of the task succeeded, else 0', [
    'kind',
    'target',
  ]);
  const lastRunAt = gauge('strata_run_last_finished_timestamp_seconds', 'When the last run of the task finished', [
    'kind',
    'target',
  ]);
  const lastRunRows = gauge('strata_run_last_rows_out', 'Rows written by the last run of the task', ['kind', 'target']);
  const goldAge = gauge('strata_gold_loaded_timestamp_seconds', "When the gold table's served snapshot was loaded", [
    'table',
  ]);
  const lakeFiles = gauge('strata_lake_files', 'Live files per layer', ['layer']);
  const lakeBytes = gauge('strata_lake_bytes', 'Bytes of live files per layer', ['layer']);
  const logLines = gauge('strata_log_lines', 'Log lines of the last 24 hours (GET /v1/logs), by level', ['level']);

  const scrapeErrors = gauge(
    'strata_scrape_errors',
    'Sources of pipeline metrics that could not be read on this scrape',
    [],
  );
  // Pipeline state is read when Prometheus scrapes, before the registry renders, so each scrape sees one reading.
  const refresh = async () => {
    let errors = 0;
    const guarded = (fn: () => Promise<void>) => fn().catch(() => void errors++);
    await Promise.all([
      guarded(async () => {
        const runs = { rows: await catalog.latestRuns() };
        for (const r of runs.rows) {
          lastRunOk.set({ kind: r.kind, target: r.target }, r.status === 'succeeded' ? 1 : 0);
          lastRunAt.set({ kind: r.kind, target: r.target }, r.finished_at.getTime() / 1000);
          lastRunRows.set({ kind: r.kind, target: r.target }, r.rows_out ?? 0);
        }
      }),
      guarded(async () => {
        const loads = { rows: await catalog.goldLoads() };
        for (const l of loads.rows) goldAge.set({ table: l.table_name }, l.loaded_at.getTime() / 1000);
      }),
      guarded(async () => {
        const lake = { rows: await catalog.sizeByLayer() };
        for (const l of lake.rows) {
          lakeFiles.set({ layer: l.layer }, l.files);
          lakeBytes.set({ layer: l.layer }, l.bytes);
        }
      }),
      guarded(async () => {
        logLines.reset();
        for (const l of await catalog.logCounts()) logLines.set({ level: l.level }, l.lines);
      }),
      ...(redis
        ? [
            guarded(async () => {
              for (const s of await streamStats(redis, redisPrefix)) {
                backlog.set({ source: s.source }, s.backlog);
                lag.set({ source: s.source }, s.lagSeconds);
                deadLetters.set({ source: s.source }, s.deadLetters);
              }
            }),
          ]
        : []),
    ]);
    scrapeErrors.set(errors);
  };

  const middleware: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const route = matchedRoutes(c).length ? routePath(c, -1) : 'unmatched';
      requests.inc({ method: c.req.method, route, status: String(c.res.status) });
      duration.observe({ method: c.req.method, route }, (performance.now() - started) / 1000);
    }
  };
  return {
    registry,
    middleware,
    render: async () => {
      await refresh();
      return registry.metrics();
    },
  };
}
