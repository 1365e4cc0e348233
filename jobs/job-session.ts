// The DuckDB session silver/gold work runs in: the configured memory limit, spilling to the data folder past it, and
// the functions of sensitive values.
import path from 'node:path';
import type { Config } from '../core/config.ts';
import { DuckSession, type DuckSessionOptions } from '../core/duckdb.ts';
import { keyRingOf } from '../core/keys.ts';
import { defineSensitiveFunctions } from '../core/sensitive-sql.ts';

/** A job's session, with the functions of sensitive values (strata_decrypt, strata_encrypt, strata_hash) defined. */
export async function openJobSession(
  config: Pick<Config, 'dataDir' | 'jobMemoryLimit' | 'encryptionKeys'>,
  options: DuckSessionOptions = {},
): Promise<DuckSession> {
  const duck = await DuckSession.open({
    memoryLimit: config.jobMemoryLimit,
    tempDirectory: path.join(config.dataDir, 'tmp', 'duckdb'),
    ...options,
  });
  await defineSensitiveFunctions(duck, keyRingOf(config));
  return duck;
}
