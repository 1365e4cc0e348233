// What a command needs to talk to the platform, opened once and closed once: config, PostgreSQL, catalog, lake, Redis.
import { Redis } from 'ioredis';
import { Catalog } from './catalog/catalog.ts';
import { RunLog } from './catalog/runs.ts';
import { type Config, redactUrl } from '../core/config.ts';
import { TransientError } from '../core/errors.ts';
import { withRetry } from '../core/retry.ts';
import { createPool, type Pool } from '../core/postgres.ts';
import { attachLogSink, commandName, LogSink } from '../core/log.ts';
import path from 'node:path';
import { IcebergFollower } from './iceberg/iceberg-follower.ts';
import { openStore, type ObjectStore } from './storage/index.ts';

/** Errors that mean the database is not there (or refuses us), as opposed to a failure inside it. */
const CONNECTION_FAILURES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  '28P01',
  '28000',
  '3D000',
  '57P03',
]);

const codeOf = (error: unknown): string | undefined =>
  (error as { code?: string }).code ?? (error as { cause?: { code?: string } }).cause?.code;

export interface Runtime {
  config: Config;
  pool: Pool;
  catalog: Catalog;
  runs: RunLog;
  store: ObjectStore;
  /** Redis, connected on first use. */
  redis(): Redis;
  /** The process's log lines, on their way to strata_catalog.logs. */
  logs: LogSink;
  /** Keeps every table's Iceberg metadata in step with the catalog's commits (lake/iceberg/). */
  iceberg: IcebergFollower;
  close(): Promise<void>;
}

/** Connects to PostgreSQL, migrates the catalog, and opens the lake. */
export async function openRuntime(config: Config): Promise<Runtime> {
  const pool = createPool(config.databaseUrl);
  const catalog = new Catalog(pool);
  try {
    // A deadlock or serialization failure during an actual upgrade is worth another try; a missing server is not.
    await withRetry(() => catalog.migrate(), {
      attempts: 5,
      isRetryable: (e) => e instanceof TransientError && !CONNECTION_FAILURES.has(codeOf(e) ?? ''),
    });
  } catch (error) {
    await pool.end();
    const code = codeOf(error);
    if (code && CONNECTION_FAILURES.has(code)) {
      throw new TransientError(
        `Cannot reach the catalog database at ${redactUrl(config.databaseUrl)} (${code}). Start local services with \`pnpm infra:up\` or set DATABASE_URL.`,
        { cause: error },
      );
    }
    throw error;
  }
  let redis: Redis | undefined;
  // The process's log lines go to PostgreSQL from here on, over a connection of their own (core/log.ts).
  const logPool = createPool(config.databaseUrl, 1, { connectionTimeoutMillis: 2000 });
  logPool.on('error', () => {}); // a connection lost while idle: the next batch reconnects
  const logs = new LogSink(logPool, {
    command: commandName(),
    fallbackFile: path.join(config.dataDir, 'logs', `${commandName()}.log`),
    retentionDays: config.logRetentionDays,
  });
  const detachLogs = attachLogSink(logs);
  const rt: Runtime = {
    config,
    pool,
    logs,
    catalog,
    runs: new RunLog(pool),
    store: openStore(config),
    iceberg: undefined as unknown as IcebergFollower,
    redis() {
      if (!redis) {
        redis = new Redis(config.redisUrl, {
          maxRetriesPerRequest: 20,
          enableAutoPipelining: false,
          lazyConnect: false,
        });
        // ioredis reconnects by itself; say so once per outage instead of its "Unhandled error event" per attempt.
        let down = false;
        redis.on('error', (error: Error) => {
          if (!down) console.error(`redis: ${error.message}; reconnecting (commands wait, then fail after 20 retries)`);
          down = true;
        });
        redis.on('ready', () => {
          if (down) console.error('redis: connected again');
          down = false;
        });
      }
      return redis;
    },
    async close() {
      await iceberg.close();
      await redis?.quit().catch(() => redis?.disconnect());
      detachLogs();
      await logs.close();
      await logPool.end().catch(() => {});
      await pool.end();
    },
  };
  const iceberg = new IcebergFollower(rt, {
    baseUrl: config.iceberg.baseUrl ?? config.lakeUrl,
    intervalMillis: config.iceberg.intervalMillis,
  });
  rt.iceberg = iceberg;
  catalog.onCommitted((table) => iceberg.committed(table));
  return rt;
}

/** Opens a runtime, runs `fn`, and always closes it. */
export async function withRuntime<T>(config: Config, fn: (rt: Runtime) => Promise<T>): Promise<T> {
  const rt = await openRuntime(config);
  try {
    return await fn(rt);
  } finally {
    await rt.close();
  }
}
