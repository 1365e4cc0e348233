// The DuckDB session silver/gold work runs in: the configured memory limit, spilling to the data folder past it.
import path from 'node:path';
import type { Config } from '../core/config.ts';
import { DuckSession, type DuckSessionOptions } from '../core/duckdb.ts';

export function openJobSession(
  config: Pick<Config, 'dataDir' | 'jobMemoryLimit'>,
  options: DuckSessionOptions = {},
): Promise<DuckSession> {
  return DuckSession.open({
    memoryLimit: config.jobMemoryLimit,
    tempDirectory: path.join(config.dataDir, 'tmp', 'duckdb'),
    ...options,
  });
}
