// Local mode's entry: bring the services up, down, or report them. `pnpm infra:*`, `pnpm demo` and `pnpm test` call this.
import type { Config } from '../../core/config.ts';
import { apiService } from './api-service.ts';
import { fixturesService } from './fixtures-service.ts';
import { postgresService } from './postgres-service.ts';
import { redisService } from './redis-service.ts';
import { s3Service } from './s3-service.ts';
import { ensureDown, ensureUp, statusOf, type LocalService, type ServiceName, type ServiceStatus } from './service.ts';

export { SERVICE_NAMES, type ServiceName, type ServiceStatus } from './service.ts';

/** The backing services in start order, then the API (it needs them) and the example sources' fixtures. */
export function localServices(config: Config): Record<ServiceName, LocalService> {
  return {
    redis: redisService(config),
    postgres: postgresService(config),
    s3: s3Service(config),
    api: apiService(config),
    fixtures: fixturesService(config),
  };
}

/** Ensures each named service is up: reuses a healthy one on its port, starts the rest. */
export async function servicesUp(
  config: Config,
  names: ServiceName[],
  onStatus?: (s: ServiceStatus) => void,
): Promise<ServiceStatus[]> {
  const all = localServices(config);
  const statuses: ServiceStatus[] = [];
  for (const name of names) {
    const status = await ensureUp(config, all[name]);
    onStatus?.(status);
    statuses.push(status);
  }
  return statuses;
}

/** Stops the named services that this project started, in reverse order. */
export async function servicesDown(config: Config, names: ServiceName[]): Promise<ServiceStatus[]> {
  const all = localServices(config);
  const statuses: ServiceStatus[] = [];
  for (const name of [...names].reverse()) statuses.push(await ensureDown(config, all[name]));
  return statuses;
}

export async function servicesStatus(config: Config, names: ServiceName[]): Promise<ServiceStatus[]> {
  const all = localServices(config);
  return Promise.all(names.map((name) => statusOf(config, all[name])));
}
