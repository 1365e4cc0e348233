// PostgreSQL access shared by the catalog, the gold loader and the API: one pool a process, transactions as a helper.
import pg from 'pg';
import { TransientError } from './errors.ts';

// PostgreSQL returns BIGINT (int8) and NUMERIC as strings by default; counts in Strata fit a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
// DATE stays a 'YYYY-MM-DD' string: converting it to a JS Date would shift it by the local time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v);

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P03',
  '08006',
  '08001',
  '08004',
  '40001',
  '40P01',
]);

/** Wraps connection-level failures as TransientError so runners retry them. */
export function classifyPgError(error: unknown): unknown {
  const code = (error as { code?: string }).code;
  if (code && TRANSIENT_CODES.has(code))
    return new TransientError(`PostgreSQL unavailable (${code})`, { cause: error });
  return error;
}

export interface PoolLimits {
  /** PostgreSQL cancels a statement running longer (0: no limit). */
  statementTimeoutMillis?: number;
  /** PostgreSQL ends a session left idle inside a transaction (or an open cursor) this long (0: no limit). */
  idleInTransactionMillis?: number;
  /** How long a caller waits for a free connection before failing. */
  connectionTimeoutMillis?: number;
}

export function createPool(databaseUrl: string, max = 5, limits: PoolLimits = {}): Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    connectionTimeoutMillis: limits.connectionTimeoutMillis ?? 10_000,
    ...(limits.statementTimeoutMillis ? { statement_timeout: limits.statementTimeoutMillis } : {}),
    ...(limits.idleInTransactionMillis ? { idle_in_transaction_session_timeout: limits.idleInTransactionMillis } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
export async function inTransaction<T>(pool: Pool, fn: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((e: unknown) => Promise.reject(classifyPgError(e)));
  try {
    await client.query('begin');
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw classifyPgError(error);
  } finally {
    client.release();
  }
}
