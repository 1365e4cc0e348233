// The shape every local service shares, and the up/down/status logic that drives them.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../core/config.ts';
import { isPortOpen, livePid, stopPid } from './process.ts';

export const SERVICE_NAMES = ['redis', 'postgres', 's3', 'api', 'fixtures'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface LocalService {
  name: ServiceName;
  host: string;
  port: number;
  /** How the address reads in a status (default host:port), for a service on several ports. */
  label?: string;
  /** The signal that makes the server shut down cleanly (default SIGTERM). */
  stopSignal?: NodeJS.Signals;
  /** True when whatever listens on the port speaks this service's protocol (and accepts our credentials). */
  isHealthy(): Promise<boolean>;
  /** Installs or initialises what the service needs, then starts it detached and waits until it is healthy. */
  start(): Promise<void>;
  /** Runs after start or reuse: creates databases or buckets the configuration names. */
  prepare?(): Promise<void>;
}

export type ServiceState =
  | 'started'
  | 'reused'
  | 'stopped'
  | 'not running'
  | 'running (ours)'
  | 'running (not ours)'
  | 'port taken by another program';

export interface ServiceStatus {
  name: ServiceName;
  address: string;
  state: ServiceState;
  pid?: number;
}

const addressOf = (service: LocalService) => `${service.host}:${service.label ?? service.port}`;

export const runDir = (config: Config) => path.join(config.dataDir, 'run');
export const logDir = (config: Config) => path.join(config.dataDir, 'logs');
export const pidFileOf = (config: Config, name: ServiceName) => path.join(runDir(config), `${name}.pid`);

/** Starts a service unless a healthy one already listens on its port; fails clearly when a stranger holds the port. */
export async function ensureUp(config: Config, service: LocalService): Promise<ServiceStatus> {
  const address = addressOf(service);
  let state: ServiceState = 'reused';
  if (!(await isPortOpen(service.host, service.port))) {
    await service.start();
    state = 'started';
  } else if (!(await service.isHealthy())) {
    throw new Error(
      `Port ${address} is taken by something that is not a usable ${service.name} server. ` +
        `Stop it, or point Strata at another port (see docs/configuration.md).`,
    );
  }
  await service.prepare?.();
  return { name: service.name, address, state, pid: livePid(pidFileOf(config, service.name)) };
}

/** Stops a service only if this project started it (its pid file is ours). */
export async function ensureDown(config: Config, service: LocalService): Promise<ServiceStatus> {
  const pidFile = pidFileOf(config, service.name);
  const address = addressOf(service);
  const hadPidFile = existsSync(pidFile);
  const stopped = await stopPid(pidFile, service.stopSignal);
  const open = await isPortOpen(service.host, service.port);
  const state: ServiceState = stopped
    ? 'stopped'
    : open
      ? 'running (not ours)'
      : hadPidFile
        ? 'stopped'
        : 'not running';
  return { name: service.name, address, state };
}

export async function statusOf(config: Config, service: LocalService): Promise<ServiceStatus> {
  const pid = livePid(pidFileOf(config, service.name));
  const open = await isPortOpen(service.host, service.port);
  const healthy = open && (await service.isHealthy());
  const state: ServiceState = !open
    ? 'not running'
    : !healthy
      ? 'port taken by another program'
      : pid
        ? 'running (ours)'
        : 'running (not ours)';
  return { name: service.name, address: addressOf(service), state, pid };
}
