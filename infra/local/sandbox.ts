// A throwaway namespace on the local services: its own database, Redis key prefix and lake (folder or bucket).
// Tests and benchmarks use one each, so they never see each other's data or the demo's, and remove it afterwards.
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { loadConfig, processEnvironment, type Config } from '../../core/config.ts';
import { openRuntime, type Runtime } from '../../lake/runtime.ts';
import { openStore } from '../../lake/storage/index.ts';

export type LakeKind = 'file' | 's3';

export interface Isolated {
  config: Config;
  rt: Runtime;
  cleanup(): Promise<void>;
}

/** The configuration of the shared test services (the environment `pnpm test` runs with). */
export const baseConfig = () => loadConfig(processEnvironment());

/** A namespace of its own; `env` adds settings (e.g. STRATA_ENCRYPTION_KEYS) to the test environment's. */
export async function isolatedConfig(
  lake: LakeKind = 'file',
  env: Record<string, string> = {},
): Promise<{ config: Config; cleanup(): Promise<void> }> {
  const base = baseConfig();
  const id = randomUUID().replaceAll('-', '').slice(0, 12);
  const database = `strata_test_${id}`;
  const admin = new pg.Client({ connectionString: base.databaseUrl });
  await admin.connect();
  await admin.query(`create database ${database}`);
  await admin.end();
  const dbUrl = new URL(base.databaseUrl);
  dbUrl.pathname = `/${database}`;
  const lakeDir = path.join(base.dataDir, 'tmp', 'test-lakes', id);
  if (lake === 'file') mkdirSync(lakeDir, { recursive: true });
  const config = loadConfig({
    ...processEnvironment(),
    DATABASE_URL: dbUrl.toString(),
    STRATA_REDIS_PREFIX: `strata-test-${id}`,
    STRATA_LAKE_URL: lake === 'file' ? `file://${lakeDir}` : `s3://strata-test-${id}/lake`,
    ...env,
  });
  return {
    config,
    async cleanup() {
      const redis = new Redis(config.redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${config.redisPrefix}:*`, 'COUNT', 1000);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      await redis.quit();
      if (lake === 's3') {
        const store = openStore(config);
        for (const o of await store.list('')) await store.delete(o.key);
      }
      rmSync(lakeDir, { recursive: true, force: true });
      const client = new pg.Client({ connectionString: base.databaseUrl });
      await client.connect();
      await client.query(`drop database if exists ${database} with (force)`);
      await client.end();
    },
  };
}

/** An isolated configuration with an open runtime; cleanup closes it and removes everything it created. */
export async function isolatedRuntime(lake: LakeKind = 'file', env: Record<string, string> = {}): Promise<Isolated> {
  const { config, cleanup } = await isolatedConfig(lake, env);
  const rt = await openRuntime(config);
  return {
    config,
    rt,
    async cleanup() {
      await rt.close();
      await cleanup();
    },
  };
}
