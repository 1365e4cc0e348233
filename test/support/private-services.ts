// Private copies of the local services on free ports, under a temporary data folder: fault tests stop and start
// them at will without disturbing the shared services every other test uses.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, readDotenv, type Config } from '../../core/config.ts';
import { freePort, stopPid } from '../../infra/local/process.ts';
import { localServices } from '../../infra/local/index.ts';
import { ensureUp, pidFileOf, type ServiceName } from '../../infra/local/service.ts';

export type BackingService = Exclude<ServiceName, 'api'>;

export interface PrivateServices {
  config: Config;
  /** What a child process needs to use these services (DATABASE_URL, REDIS_URL, S3_ENDPOINT, lake, prefix, data folder). */
  env: Record<string, string>;
  stop(name: BackingService): Promise<void>;
  start(name: BackingService): Promise<void>;
  cleanup(): Promise<void>;
}

/** Starts private Redis, PostgreSQL and S3 servers (the lake in a bucket of the private S3 server). */
export async function startPrivateServices(overrides: Record<string, string> = {}): Promise<PrivateServices> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'strata-private-'));
  // mkdtemp makes it private to us; as root, PostgreSQL (run as the `postgres` user) would keep its cluster in
  // /var/lib/strata (decision 0019). Opened, the cluster stays in this folder and cleanup removes it with the rest.
  chmodSync(dataDir, 0o755);
  const base = loadConfig({ ...readDotenv(), ...process.env });
  const database = new URL(base.databaseUrl);
  database.port = String(await freePort());
  database.pathname = '/strata';
  const env: Record<string, string> = {
    STRATA_DATA_DIR: dataDir,
    DATABASE_URL: database.toString(),
    REDIS_URL: `redis://127.0.0.1:${await freePort()}/0`,
    S3_ENDPOINT: `http://127.0.0.1:${await freePort()}`,
    STRATA_LAKE_URL: 's3://private/lake',
    STRATA_REDIS_PREFIX: 'private',
    ...overrides,
  };
  const config = loadConfig({ ...readDotenv(), ...process.env, ...env });
  const services = localServices(config);
  const names: BackingService[] = ['redis', 'postgres', 's3'];
  const stop = (name: BackingService) => stopPid(pidFileOf(config, name), services[name].stopSignal).then(() => {});
  try {
    for (const name of names) await ensureUp(config, services[name]);
  } catch (error) {
    for (const name of names) await stop(name);
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    config,
    env,
    stop,
    start: async (name) => void (await ensureUp(config, services[name])),
    async cleanup() {
      for (const name of [...names].reverse()) await stop(name);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
